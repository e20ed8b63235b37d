#!/usr/bin/env python3
"""Summarizes trine_bench CSV files (one per N and value size) into the table
quoted in README.md: for each goal workload, Trine's figure, each peer's, and
Trine's ratio to the better of RocksDB and LevelDB (< 1: Trine is better).

    scripts/bench-summary.py bench-results/<stamp>-n*-v*.csv
"""
import csv
import sys
from collections import defaultdict

ROWS = [
    # (label, phase, metric, unit)
    ("fillrandom, batches of 1000", "fillrandom_b1000", "us_per_op", "us/op"),
    ("readrandom", "readrandom", "us_per_op", "us/op"),
    ("readmissing", "readmissing", "us_per_op", "us/op"),
    ("seekrandom + next 10", "seekrandom", "us_per_op", "us/op"),
    ("prefix scan [type,attr]", "prefixscan_ta", "ns_per_entry", "ns/entry"),
    ("prefix scan [type]", "prefixscan_t", "ns_per_entry", "ns/entry"),
    ("seek into a deleted group + 10", "seek_tombstones", "us_per_op", "us/op"),
    ("bytes on disk after full compaction", "final_compact", "bytes_per_entry", "B/entry"),
    ("write amp, load to final compaction", "final_compact", "wa_wchar", "x"),
    ("peak RSS", "summary", "peak_rss_mb", "MiB"),
    ("slowest single write (any phase)", "summary", "max_write_ms", "ms"),
    ("writes over 10 ms", "summary", "writes_over_10ms", "count"),
]


def main(paths):
    for path in sorted(paths, key=lambda p: (len(p), p)):
        data = defaultdict(dict)
        n = v = None
        with open(path) as f:
            for r in csv.DictReader(f):
                n, v = r["n"], r["value_size"]
                try:
                    data[(r["engine"], r["phase"], r["metric"])] = float(r["value"])
                except ValueError:
                    pass
        engines = [e for e in ("trine", "rocksdb", "leveldb", "sqlite")
                   if any(k[0] == e for k in data)]
        print(f"\nN = {int(n):,}, {v} B values\n")
        print("| workload | unit | " + " | ".join(engines) + " | trine / best of RocksDB, LevelDB |")
        print("|---|---|" + "---|" * len(engines) + "---|")
        for label, phase, metric, unit in ROWS:
            vals = {e: data.get((e, phase, metric)) for e in engines}
            peers = [vals[e] for e in ("rocksdb", "leveldb") if vals.get(e) is not None]
            best = min(peers) if peers else None
            t = vals.get("trine")
            ratio = f"{t / best:.2f}" if t is not None and best else "-"
            cells = ["-" if vals[e] is None else f"{vals[e]:.3g}" for e in engines]
            print(f"| {label} | {unit} | " + " | ".join(cells) + f" | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1:])
