#!/usr/bin/env bash
# SCIM throughput, Roster next to PyPI scim2-server, with the same wrk load (issue 4):
#   GET /Users/{id}, GET /Users?filter=userName eq "...", POST /Users
# and Roster's filter query over 1,000,000 users. Needs wrk (apt-get install -y wrk), a release
# build (cargo build --release) and target/test-venv (scripts/test-tools.sh).
#   bash scripts/bench-scim.sh [DURATION_SECONDS] [CONNECTIONS]
# The machines are shared and noisy: compare the ratios of one run, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-10}
conns=${2:-8}
token=00benchscim$RANDOM$RANDOM
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

bin=$root/target/release/roster
python=$root/target/test-venv/bin
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 1; }
[[ -x $python/scim2-server ]] || { echo "install the test clients first: bash scripts/test-tools.sh" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 200); do curl -fs -o /dev/null -H "Authorization: Bearer $token" "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }

start_roster() { # DATA_DIR -> sets roster_url
  local port; port=$(free_port)
  ROSTER_BOOTSTRAP_TOKEN=$token ROSTER_LOG=warn "$bin" serve --listen 127.0.0.1:$port --data-dir "$1" \
    --rate-limit-per-minute 1000000000 >"$work/roster.out" 2>"$work/roster.err" &
  pids+=($!)
  roster_url=http://127.0.0.1:$port/scim/v2
  wait_up "$roster_url/ServiceProviderConfig"
}

user_json() { printf '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s","name":{"givenName":"Seed","familyName":"User"},"emails":[{"value":"%s","type":"work"}]}' "$1" "$1"; }

seed() { # BASE -> creates 1000 users, prints the id of seed500
  local id=""
  for i in $(seq 1 1000); do
    local out; out=$(curl -fs -X POST "$1/Users" -H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' -d "$(user_json "seed$i@example.com")")
    [[ $i == 500 ]] && id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$out")
  done
  echo "$id"
}

bench() { # NAME URL [wrk script and its arguments...] -> prints "NAME req/s p99"
  local name=$1 url=$2; shift 2
  local script=() args=()
  if [[ $# -gt 0 ]]; then script=(-s "$1"); shift; args=(-- "$@"); fi
  local out; out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/scim+json' "${script[@]}" "$url" "${args[@]}")
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-44s %10s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${errors:-0}"
  echo "$rps" > "$work/last"
}

filter='filter=userName%20eq%20%22seed500%40example.com%22'

echo "== Roster (release, SQLite), 1,000 users"
start_roster "$work/roster-data"
rid=$(seed "$roster_url")
bench "roster GET /Users/{id}" "$roster_url/Users/$rid"; r1=$(cat "$work/last")
bench "roster GET /Users?filter=userName eq" "$roster_url/Users?$filter"; r2=$(cat "$work/last")
bench "roster POST /Users" "$roster_url/Users" scripts/bench-scim/post_user.lua "r$RANDOM"; r3=$(cat "$work/last")
kill "${pids[-1]}"

echo "== scim2-server (PyPI), 1,000 users"
port=$(free_port)
"$python/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$token" >"$work/s2.out" 2>&1 &
pids+=($!)
s2_url=http://127.0.0.1:$port/v2
wait_up "$s2_url/ServiceProviderConfig"
sid=$(seed "$s2_url")
bench "scim2-server GET /Users/{id}" "$s2_url/Users/$sid"; s1=$(cat "$work/last")
bench "scim2-server GET /Users?filter=userName eq" "$s2_url/Users?$filter"; s2=$(cat "$work/last")
bench "scim2-server POST /Users" "$s2_url/Users" scripts/bench-scim/post_user.lua "s$RANDOM"; s3=$(cat "$work/last")
kill "${pids[-1]}"

echo "== ratio Roster / scim2-server"
awk -v a="$r1" -v b="$s1" 'BEGIN {printf "GET /Users/{id}              %.1fx\n", a/b}'
awk -v a="$r2" -v b="$s2" 'BEGIN {printf "GET /Users?filter=userName   %.1fx\n", a/b}'
awk -v a="$r3" -v b="$s3" 'BEGIN {printf "POST /Users                  %.1fx\n", a/b}'

echo "== Roster, filter over 1,000,000 users"
"$bin" bench users --data-dir "$work/million" --count 1000000 | tail -1
start_roster "$work/million"
filter='filter=userName%20eq%20%22user500000%40example.com%22'
curl -fs -H "Authorization: Bearer $token" "$roster_url/Users?$filter" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["totalResults"]==1, d; print("found", d["Resources"][0]["userName"])'
bench "roster GET /Users?filter=userName eq (1M)" "$roster_url/Users?$filter"
filter='filter=name.familyName%20eq%20%22Last500000%22'
bench "roster GET /Users?filter=familyName eq (1M)" "$roster_url/Users?$filter"
