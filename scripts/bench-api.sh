#!/usr/bin/env bash
# Management API benchmarks of issue "Management API", printing every figure:
#   bash scripts/bench-api.sh [USERS=1000000] [SECONDS=10]
# Loads USERS users into a fresh SQLite data dir, serves it (release build), and measures with
# wrk on loopback: GET /api/v1/users/{id}, a `search` over all users, and POST /api/v1/authn next
# to the Argon2id verification time that bounds it. Needs `wrk` (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-1000000}
SECS=${2:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release --locked -q -p roster
B=$PWD/target/release/roster
W=$(mktemp -d "${TMPDIR:-/tmp}/roster-bench-api.XXXXXX")
PORT=${PORT:-18480}
TOKEN=00bench$RANDOM$RANDOM
cleanup() { [[ -n ${PID:-} ]] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

echo "== loading $USERS users"
"$B" bench users --data-dir "$W/data" --count "$USERS"
ROSTER_BOOTSTRAP_TOKEN=$TOKEN ROSTER_LOG=warn "$B" serve --data-dir "$W/data" --listen 127.0.0.1:$PORT \
  --rate-limit-per-minute 100000000 > "$W/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/health >/dev/null && break; sleep 0.1; done
R=http://127.0.0.1:$PORT
H="Authorization: SSWS $TOKEN"

ID=$(curl -sf -H "$H" "$R/api/v1/users/user$((USERS / 2))@example.com" | sed -E 's/^\{"id":"([^"]+)".*/\1/')
echo "== wrk GET /api/v1/users/$ID"
wrk -t1 -c16 -d"${SECS}s" --latency -H "$H" "$R/api/v1/users/$ID" | grep -E 'Requests/sec|50%|99%|Non-2xx'

Q='search=profile.lastName%20eq%20%22Last'$((USERS / 3))'%22'
echo "== wrk GET /api/v1/users?$Q (over $USERS users)"
curl -sf -H "$H" "$R/api/v1/users?$Q" | grep -o '"login":"[^"]*"' | head -1
wrk -t1 -c16 -d"${SECS}s" --latency -H "$H" "$R/api/v1/users?$Q" | grep -E 'Requests/sec|50%|99%|Non-2xx'

echo "== authn"
curl -sf -H "$H" -H 'Content-Type: application/json' -X POST "$R/api/v1/users?activate=true" -d '{
  "profile":{"login":"bench.authn@example.com","email":"bench.authn@example.com","firstName":"Bench","lastName":"Authn"},
  "credentials":{"password":{"value":"Quartz-Falcon-7391!"}}}' >/dev/null
cat > "$W/authn.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"username":"bench.authn@example.com","password":"Quartz-Falcon-7391!"}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t1 -c8 -d"${SECS}s" --latency -s "$W/authn.lua" "$R/api/v1/authn" | grep -E 'Requests/sec|50%|99%|Non-2xx'
"$B" bench hash --rounds 20
