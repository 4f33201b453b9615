#!/usr/bin/env bash
# Connect benchmark for wa-sim: N real whatsapp-rust clients pair and connect to a release wa-sim
# process; prints the time to connect them all and the simulator's memory.
# Usage: bench/wa-sim.sh [N ...]    (default: 100 500 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p wa-sim --bin wa-sim --example connect_bench
port=18977
"$target/release/wa-sim" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "127.0.0.1:$port/admin/accounts/0" && break  # any HTTP answer means it is up
  sleep 0.1
done
ulimit -n 65536 2>/dev/null || true
echo "== wa-sim $(git rev-parse --short HEAD 2>/dev/null) cores=$(nproc)"
for n in "${@:-100 500 1000}"; do
  "$target/release/examples/connect_bench" --sim "http://127.0.0.1:$port" --sim-pid "$pid" $n
done
