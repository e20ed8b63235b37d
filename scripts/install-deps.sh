#!/usr/bin/env bash
# Installs the Debian packages Trine needs to build, test and benchmark.
# Idempotent: only packages that are missing are installed, and nothing is
# downloaded outside Debian's package registry.
#
#   scripts/install-deps.sh           # build + test + peer benchmark deps
#   TRINE_NO_PEERS=1 scripts/install-deps.sh   # skip RocksDB/LevelDB
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config clang-format
  libboost-dev libzstd-dev libxxhash-dev libroaring-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libfmt-dev libsqlite3-dev libedit-dev
)
if [ -z "${TRINE_NO_PEERS:-}" ]; then
  pkgs+=(librocksdb-dev libleveldb-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
