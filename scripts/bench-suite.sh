#!/usr/bin/env bash
# The full storage comparison quoted in README.md (`make bench`): trine_bench
# on Trine, RocksDB, LevelDB and SQLite for N = 1M and 5M triples with 16 B
# and 64 B values. Tables go to stdout (and bench-results/*.txt); every figure
# goes to bench-results/<stamp>-n<N>-v<V>.csv and .json (git-ignored).
#
# Runtime on the 2-core development VM: ~4-5 minutes per 1M run and ~12-15
# per 5M run (SQLite's one-put-per-transaction loads are most of it), so
# 35-45 minutes in all. Run nothing else meanwhile: background compaction
# threads need the second core, and even on a quiet VM noise is +-5-15 %.
#
#   scripts/bench-suite.sh                          # everything
#   SIZES=1000000 scripts/bench-suite.sh            # only the 1M runs
#   scripts/bench-suite.sh --engines trine,leveldb  # extra flags go to every run
#
# Environment: TRINE_BENCH (binary, default build/release/bench/trine_bench),
# SIZES, VALUES, OUT_DIR (default bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TRINE_BENCH:-build/release/bench/trine_bench}
out=${OUT_DIR:-bench-results}
sizes=${SIZES:-"1000000 5000000"}
values=${VALUES:-"16 64"}

if [ ! -x "$bin" ]; then
  echo "bench-suite: $bin not found; build it first (make release)" >&2
  exit 2
fi
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)

# One run at a time: two concurrent runs would share the two cores and
# measure each other. A failed run (an engine error) does not stop the suite,
# but the suite then exits non-zero.
status=0
for n in $sizes; do
  for v in $values; do
    base="$out/$stamp-n$n-v$v"
    echo "=== trine_bench --n $n --value $v ($(date +%H:%M:%S))"
    if ! "$bin" --n "$n" --value "$v" --csv "$base.csv" --json "$base.json" "$@" | tee "$base.txt"; then
      echo "bench-suite: the run with --n $n --value $v failed (see above)" >&2
      status=1
    fi
  done
done
echo "=== done ($(date +%H:%M:%S)); results in $out/$stamp-*"
exit $status
