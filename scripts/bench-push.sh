#!/usr/bin/env bash
# Push throughput (issue 5): a spoke pushes N users to a hub over Org2Org (no password sync, so
# the hub hashes nothing), for each worker count given; then the hub's own ceiling for the same
# requests (GET /api/v1/users/{login} that misses, then POST /api/v1/users), driven by wrk
# directly at the same concurrency, and the ratio push / ceiling.
#   bash scripts/bench-push.sh [N] [WORKER_COUNTS] [CEILING_SECONDS]
#   e.g. bash scripts/bench-push.sh 100000 "1 4 8" 20
# Needs a release build (cargo build --release, or ROSTER_BIN=path), wrk (apt-get install -y wrk) and python3.
# The spoke is seeded once (`roster bench users`, then every assignment through the API with a
# worker-less spoke, so the jobs wait in the queue); each run starts from a copy of that
# database and a fresh hub, and the clock runs from the start of the spoke with workers until
# its queue is empty. The machines are shared and noisy: compare the ratios of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-100000}
worker_counts=${2:-"1 4"}
ceiling_secs=${3:-20}
token=00benchpush$RANDOM$RANDOM
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

bin=${ROSTER_BIN:-$root/target/release/roster}
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk first: apt-get install -y wrk" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1/health" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }

start_roster() { # NAME DATA_DIR WORKERS -> sets url, pid
  local port; port=$(free_port)
  ROSTER_BOOTSTRAP_TOKEN=$token ROSTER_LOG=warn ROSTER_PROVISIONING_WORKERS=$3 \
    "$bin" serve --listen 127.0.0.1:$port --data-dir "$2" --rate-limit-per-minute 1000000000 \
    >"$work/$1.out" 2>"$work/$1.err" &
  pid=$!
  pids+=($pid)
  url=http://127.0.0.1:$port
  wait_up "$url"
}

stop() { kill "$1"; while kill -0 "$1" 2>/dev/null; do sleep 0.1; done; }

api() { # METHOD URL [BODY]
  curl -fsS -X "$1" "$2" -H "Authorization: SSWS $token" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' ${3:+-d "$3"}
}

count() { # DB TABLE
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30); print(c.execute(f"select count(*) from {sys.argv[2]}").fetchone()[0])' "$1" "$2"
}

echo "== seeding the spoke: $n users, then $n assignments through the API (no workers)"
"$bin" bench users --data-dir "$work/spoke" --count "$n" | tail -1
start_roster spoke-intake "$work/spoke" 0
spoke_url=$url; intake_pid=$pid
# The app points at a placeholder hub URL now; each run points it at its own hub.
start_roster hub0 "$work/hub0" 4
hub0_url=$url; hub0_pid=$pid
app_id=$(api POST "$spoke_url/api/v1/apps" \
  "{\"name\":\"okta_org2org\",\"label\":\"Hub\",\"signOnMode\":\"SAML_2_0\",\"settings\":{\"app\":{\"baseUrl\":\"$hub0_url\"}}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "$spoke_url/api/v1/apps/$app_id/connections/default?activate=TRUE" \
  "{\"profile\":{\"authScheme\":\"TOKEN\",\"token\":\"$token\"}}" >/dev/null
api PUT "$spoke_url/api/v1/apps/$app_id/features/USER_PROVISIONING" \
  '{"create":{"lifecycleCreate":{"status":"ENABLED"}},"update":{"profile":{"status":"ENABLED"},"password":{"status":"DISABLED"}}}' >/dev/null
stop "$hub0_pid"
python3 - "$spoke_url" "$token" "$app_id" <<'EOF'
import http.client, json, sys, threading, time, urllib.parse
base, token, app = sys.argv[1:4]
host = urllib.parse.urlparse(base).netloc
hdr = {"Authorization": f"SSWS {token}", "Accept": "application/json", "Content-Type": "application/json"}
ids, path = [], "/api/v1/users?limit=200"
c = http.client.HTTPConnection(host)
while path:
    c.request("GET", path, headers=hdr); r = c.getresponse(); page = json.loads(r.read())
    ids += [u["id"] for u in page]; path = None
    for part in (r.getheader("link") or "").split(","):
        if 'rel="next"' in part:
            path = part[part.index("<") + 1:part.index(">")].replace(base, "")
def assign(chunk):
    c = http.client.HTTPConnection(host)
    for i in chunk:
        c.request("POST", f"/api/v1/apps/{app}/users", json.dumps({"id": i, "scope": "USER"}), hdr)
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
t = time.time()
threads = [threading.Thread(target=assign, args=(ids[k::16],)) for k in range(16)]
[th.start() for th in threads]; [th.join() for th in threads]
print(f"assigned {len(ids)} users in {time.time() - t:.1f}s")
EOF
stop "$intake_pid"
echo "queued jobs: $(count "$work/spoke/roster.db" provisioning_jobs)"

declare -A rate
for w in $worker_counts; do
  rm -rf "$work/run" "$work/hub"
  cp -r "$work/spoke" "$work/run"
  start_roster "hub-$w" "$work/hub" 4
  hub_url=$url; hub_pid=$pid
  # Point the copied app at this run's hub before any worker runs.
  start_roster "spoke-$w-setup" "$work/run" 0
  api PUT "$url/api/v1/apps/$app_id" \
    "{\"name\":\"okta_org2org\",\"label\":\"Hub\",\"signOnMode\":\"SAML_2_0\",\"settings\":{\"app\":{\"baseUrl\":\"$hub_url\"}}}" >/dev/null
  stop "$pid"
  t0=$(date +%s.%N)
  start_roster "spoke-$w" "$work/run" "$w"
  spoke_pid=$pid
  while [[ $(count "$work/run/roster.db" provisioning_jobs) != 0 ]]; do sleep 0.5; done
  t1=$(date +%s.%N)
  pushed=$(count "$work/hub/roster.db" users)
  stop "$spoke_pid"; stop "$hub_pid"
  [[ $pushed == "$n" ]] || { echo "the hub holds $pushed users, not $n" >&2; exit 1; }
  rate[$w]=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n/(b-a)}')
  printf 'push %d users, %2d worker(s): %6.1fs  %6s users/s\n' "$n" "$w" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')" "${rate[$w]}"
done

echo "== the hub's own ceiling: GET miss + POST create per user, wrk at the same concurrency"
cat >"$work/find_create.lua" <<'EOF'
-- Per connection: GET /api/v1/users/{login} (404), then POST /api/v1/users?activate=true.
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) prefix = args[1]; n = 0 end
function request()
  n = n + 1
  local i = math.floor((n + 1) / 2)
  local login = string.format("%s-%d-%d@example.com", prefix, tid, i)
  if n % 2 == 1 then
    return wrk.format("GET", "/api/v1/users/" .. login)
  end
  local body = '{"profile":{"login":"' .. login .. '","email":"' .. login ..
    '","firstName":"First","lastName":"Last"}}'
  return wrk.format("POST", "/api/v1/users?activate=true", nil, body)
end
EOF
for w in $worker_counts; do
  rm -rf "$work/hubc"
  start_roster "hub-ceiling-$w" "$work/hubc" 4
  out=$(wrk -t1 -c"$w" -d"${ceiling_secs}s" -H "Authorization: SSWS $token" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' -s "$work/find_create.lua" "$url" -- "c$w")
  stop "$pid"
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  created=$(count "$work/hubc/roster.db" users)
  ceiling=$(awk -v r="$rps" 'BEGIN {printf "%.0f", r/2}')
  printf 'hub ceiling, %2d connection(s): %6s users/s (%s req/s, %s users made, non-2xx %s: the GET misses)\n' \
    "$w" "$ceiling" "$rps" "$created" "${bad:-0}"
  awk -v p="${rate[$w]}" -v c="$ceiling" -v w="$w" 'BEGIN {printf "ratio push / ceiling at %d: %.2f\n", w, p/c}'
done
