#!/usr/bin/env bash
# Admin console benchmark (issue #12), printing every figure:
#   bash scripts/bench-console.sh [USERS=100000] [EVENTS=1000000] [REQUESTS=300]
# Loads USERS users and EVENTS System Log events through the store's batched paths, starts a
# release `roster serve`, signs in to the console, and requests each page REQUESTS times in a
# row. Prints p50 / p99 / max of the server-side time (the `Server-Timing: app;dur=` header the
# console sets: session check, use cases and rendering) and of the whole request as curl saw it.
# Goal: p99 under 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-100000}
EVENTS=${2:-1000000}
REQUESTS=${3:-300}

# ROSTER_BIN=path skips the build and measures that binary.
if [[ -z ${ROSTER_BIN:-} ]]; then
  cargo build --release --locked -q -p roster
fi
B=${ROSTER_BIN:-$PWD/target/release/roster}
W=$(mktemp -d "${TMPDIR:-/tmp}/roster-bench-console.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
cleanup() { [[ -n ${SERVER:-} ]] && kill "$SERVER" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

echo "== loading $USERS users and $EVENTS events"
"$B" bench users --data-dir "$W/data" --count "$USERS" --batch 5000
"$B" bench log-filter --data-dir "$W/data" --events "$EVENTS" --batch 5000
ROSTER_ADMIN_PASSWORD='Quiet-Lantern-Pass-19' "$B" admin create --data-dir "$W/data" --login bench.admin@example.com >/dev/null

ROSTER_LOG=warn "$B" serve --listen "127.0.0.1:$PORT" --data-dir "$W/data" >"$W/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
R="http://127.0.0.1:$PORT"
J="$W/jar"
csrf=$(curl -s -c "$J" -b "$J" "$R/admin/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -s -c "$J" -b "$J" -o /dev/null -X POST "$R/admin/login" \
  --data-urlencode username=bench.admin@example.com --data-urlencode password=Quiet-Lantern-Pass-19 \
  --data-urlencode "_csrf=$csrf" --data-urlencode next=/admin
[[ $(curl -s -b "$J" -o /dev/null -w '%{http_code}' "$R/admin") == 200 ]] || { echo "sign-in failed"; exit 1; }

measure() {
  local name=$1 path=$2
  : >"$W/server.txt"; : >"$W/total.txt"
  for i in $(seq "$REQUESTS"); do
    local p=${path//\{i\}/$((RANDOM * 3 % USERS))}
    curl -s -b "$J" -D "$W/h" -o /dev/null -w '%{time_total}\n' "$R$p" >>"$W/total.txt"
    grep -i '^server-timing' "$W/h" | sed -E 's/.*dur=([0-9.]+).*/\1/' >>"$W/server.txt"
  done
  python3 - "$name" "$W/server.txt" "$W/total.txt" <<'PY'
import sys
name, server, total = sys.argv[1], sys.argv[2], sys.argv[3]
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
s = [float(x) for x in open(server) if x.strip()]
t = [float(x) * 1000 for x in open(total) if x.strip()]
print(f"{name:<44} server p50={q(s,.5):6.2f} ms p99={q(s,.99):6.2f} ms max={max(s):6.2f} ms | "
      f"request p50={q(t,.5):6.2f} ms p99={q(t,.99):6.2f} ms  (n={len(s)}, goal p99 < 50 ms: {'met' if q(s,.99) < 50 else 'NOT met'})")
PY
}

echo "== console pages over $USERS users and $EVENTS events, $REQUESTS requests each"
measure "/admin/users (first page)" "/admin/users"
measure "/admin/users?q=user{i} (a few users)" "/admin/users?q=user{i}"
measure "/admin/users?q=first1 (11% of users)" "/admin/users?q=first1"
measure "/admin/users?search=profile.login eq ..." "/admin/users?search=profile.login+eq+%22user{i}%40example.com%22"
measure "/admin/users?search=status eq \"ACTIVE\"" "/admin/users?search=status+eq+%22ACTIVE%22"
measure "/admin/logs (newest 50)" "/admin/logs"
measure "/admin/logs?filter=eventType eq ..." "/admin/logs?filter=eventType+eq+%22user.lifecycle.create%22"
measure "/admin (dashboard)" "/admin"
