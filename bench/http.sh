#!/usr/bin/env bash
# Load benchmark of authenticated read endpoints against a release `wuts serve`, with wrk.
# Usage: bench/http.sh [sqlite|postgres] [duration-seconds] [connections]
# Prints wrk's summary (requests/s, latency percentiles) per endpoint. Needs wrk, curl, python3;
# for postgres, a server on 127.0.0.1:5432 (a throw-away database is created and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"; secs="${2:-10}"; conns="${3:-64}"
port=18899
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p wuts
bin="$target/release/wuts"
work=$(mktemp -d)
case "$backend" in
  sqlite) url="sqlite://$work/wuts.db" ;;
  postgres)
    db="wuts_bench_$$"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
    url="postgres://postgres@127.0.0.1:5432/$db" ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac
master=$(python3 -c 'import uuid; print(uuid.uuid4())')
WUTS_MASTER_TOKEN="$master" WUTS_DATABASE_URL="$url" WUTS_LISTEN="127.0.0.1:$port" \
  WUTS_LOG_LEVEL="${WUTS_LOG_LEVEL:-warn}" "$bin" serve >"$work/out.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  [ "$backend" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$port"
token=$(curl -sf -X POST "$api/register" -H "Authorization: Bearer $master" \
  -d '{"tenant_name":"bench","email":"bench@example.com","password":"benchmark-pw"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for i in 1 2 3; do curl -sf -X POST "$api/devices" -H "Authorization: Bearer $token" -d "{\"name\":\"d$i\"}" >/dev/null; done
echo "== wuts $(git rev-parse --short HEAD 2>/dev/null) backend=$backend conns=$conns duration=${secs}s log=${WUTS_LOG_LEVEL:-warn} cores=$(nproc)"
for path in /webhook/events /devices; do
  echo "-- GET $path (authenticated)"
  wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" "$api$path" |
    grep -E "Requests/sec|Latency |50%|99%|Non-2xx|Socket errors" || true
done
