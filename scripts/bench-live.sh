#!/usr/bin/env bash
# The live-query benchmark quoted in README.md (`make bench-live`), in one
# run on one machine:
#   1. trine_live_bench --part peer: the IVM peers' workload (N = 100,000
#      items, queries A, B and C live, the same 100,000-op mix and seed, one
#      relaxed commit per op), twice: with the default 64 MiB memtable and
#      with a 4 MiB one (see README: the memtable's size is most of a
#      commit's cost at this size); then once more with the memtable's tree
#      filled in the commit instead of by its ordering thread
#      (--memtable-thread 0), so the thread's share shows;
#   2. the peers' own harness beside it, if PEER_DIR names a checkout of it
#      (its run.sh installs its pinned npm packages and prints its table);
#   3. trine_live_bench --part scale,nested: 1, 100, 1,000 and 10,000 live
#      queries over 1M rows against re-executing them, and 1,000 parents with
#      a per-parent ORDER BY ... LIMIT 10 sub-query.
# Output goes to stdout and to bench-results/<stamp>-live.txt (git-ignored).
# Run nothing else meanwhile: the VM has two cores and the runs are timed.
#
#   scripts/bench-live.sh
#   PEER_DIR=/path/to/ivm-peer-bench scripts/bench-live.sh
#
# Environment: TRINE_LIVE_BENCH (binary, default
# build/release/bench/trine_live_bench), PEER_DIR, PEER_ENGINES (default: the
# harness's own list), OUT_DIR (default bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TRINE_LIVE_BENCH:-build/release/bench/trine_live_bench}
out=${OUT_DIR:-bench-results}
if [ ! -x "$bin" ]; then
  echo "bench-live: $bin not found; build it first (make release)" >&2
  exit 2
fi
mkdir -p "$out"
log="$out/$(date +%Y%m%d-%H%M%S)-live.txt"
dir=$(mktemp -d /tmp/trine-live-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

{
  echo "=== $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores"
  echo "=== trine: peer workload, default memtable (64 MiB)"
  "$bin" --part peer --dir "$dir/db"
  echo
  echo "=== trine: peer workload, 4 MiB memtable"
  "$bin" --part peer --dir "$dir/db" --write-buffer-mb 4
  echo
  echo "=== trine: peer workload, default memtable, its tree filled in the commit (no ordering thread)"
  "$bin" --part peer --dir "$dir/db" --memtable-thread 0
  if [ -n "${PEER_DIR:-}" ]; then
    echo
    echo "=== the peers' harness ($PEER_DIR), same workload, BREAKDOWN=0 PROBES=0"
    # Its results go to a scratch folder, not into the harness's own.
    (cd "$PEER_DIR" && BREAKDOWN=0 PROBES=0 RESULTS_DIR="$dir/peer-results" \
      ${PEER_ENGINES:+ENGINES="$PEER_ENGINES"} ./run.sh)
  fi
  echo
  echo "=== trine: scale and nested"
  "$bin" --part scale,nested --dir "$dir/db"
} 2>&1 | tee "$log"
echo "bench-live: written to $log"
