#!/usr/bin/env bash
# Import benchmarks (issue 7), printing every figure:
#   bash scripts/bench-import.sh [CSV_USERS=1000000] [LDAP_USERS=100000]
# - CSV: a CSV_USERS-row file imported into a fresh SQLite-backed `roster serve` through the real
#   path (`roster import --app ID --file F --wait`: upload, parse, match, profile sourcing, write
#   users, their import records and their System Log events): users/s and the server's peak RSS;
#   then sqlite3's own `.import` on the same disk, twice: the same file into a plain table (the
#   bare bulk load), and the rows Roster wrote (users, import records, System Log events) into
#   an empty copy of Roster's schema with its indexes (the cost of the data itself); the ratios
#   of Roster's time to each say what the import costs on top of them.
# - LDAP: LDAP_USERS inetOrgPerson entries (and 100 groups) bulk-loaded into a private slapd
#   with slapadd, imported with `roster import --wait`: users/s, groups and memberships included.
# Needs a release build (built here), sqlite3, python3, and slapd/ldap-utils for the LDAP part
# (scripts/test-tools.sh installs them). The machines are shared and noisy: compare the ratios
# of one run, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
csv_users=${1:-1000000}
ldap_users=${2:-100000}
token=00benchimport$RANDOM$RANDOM
work=$(mktemp -d "${TMPDIR:-/tmp}/roster-bench-import.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release --locked -q -p roster
bin=${ROSTER_BIN:-$root/target/release/roster}
export ROSTER_TOKEN=$token

now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1/health" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
api() { # METHOD PATH [BODY]
  curl -fsS -X "$1" "$url$2" -H "Authorization: SSWS $token" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' ${3:+-d "$3"}
}
start_roster() { # DATA_DIR -> url, pid
  local port; port=$(free_port)
  ROSTER_BOOTSTRAP_TOKEN=$token ROSTER_LOG=warn ROSTER_PROVISIONING_WORKERS=1 \
    "$bin" serve --listen 127.0.0.1:$port --data-dir "$1" --rate-limit-per-minute 1000000000 \
    >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  pids+=($pid)
  url=http://127.0.0.1:$port
  wait_up "$url"
}
job_seconds() { # JOB_ID: finished - created, from the job itself
  api GET "/api/v1/imports/$1" | python3 -c '
import json, sys, datetime
j = json.load(sys.stdin)
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print("%.3f" % (p(j["finished"]) - p(j["created"])).total_seconds())'
}
import_rules='{"status":"ENABLED","capabilities":{"importRules":{"userCreateAndMatch":{"exactMatchCriteria":"USERNAME","autoConfirmExactMatch":true,"autoConfirmNewUsers":true,"autoActivateNewUsers":true}}}}'

echo "== CSV: $csv_users users"
python3 - "$csv_users" "$work/users.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("externalId,login,email,firstName,lastName,title,department,employeeNumber,timezone,locale\n")
    for i in range(n):
        f.write(f"e{i:07d},user{i:07d}@example.com,user{i:07d}@example.com,Given{i % 997},Family{i},Engineer {i % 13},Dept {i % 41},{i},Europe/Paris,fr_FR\n")
PY
ls -l "$work/users.csv" | awk '{printf "file: %.1f MB\n", $5 / 1e6}'
start_roster "$work/csv-data"
app=$(api POST /api/v1/apps '{"name":"csv","label":"Bench CSV"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api PUT "/api/v1/apps/$app/features/INBOUND_PROVISIONING" "$import_rules" >/dev/null
api PUT "/api/v1/apps/$app/features/PROFILE_MASTERING" '{"status":"ENABLED","priority":0}' >/dev/null
t0=$(now)
"$bin" import --url "$url" --app "$app" --file "$work/users.csv" --wait | tee "$work/csv-summary.txt"
t1=$(now)
job=$(head -1 "$work/csv-summary.txt" | awk '{print $2}')
job_s=$(job_seconds "$job")
wall_s=$(echo "$t1 - $t0" | bc -l)
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
users=$(sqlite3 "$work/csv-data/roster.db" "SELECT count(*) FROM users")
events=$(sqlite3 "$work/csv-data/roster.db" "SELECT count(*) FROM log_events")
printf 'roster import: users=%s events=%s job_seconds=%.2f users_per_second=%.0f (with upload: %.2f s) peak_rss=%.0f MiB\n' \
  "$users" "$events" "$job_s" "$(echo "$csv_users / $job_s" | bc -l)" "$wall_s" "$(echo "$rss_kb / 1024" | bc -l)"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== sqlite3 .import of the same file (a plain table, no indexes: the bare bulk load)"
sqlite3 "$work/plain.db" "PRAGMA journal_mode=WAL;" >/dev/null
t0=$(now)
sqlite3 "$work/plain.db" ".import --csv $work/users.csv users"
t1=$(now)
rows=$(sqlite3 "$work/plain.db" "SELECT count(*) FROM users")
import_s=$(echo "$t1 - $t0" | bc -l)
printf 'sqlite3 .import: rows=%s seconds=%.2f rows_per_second=%.0f\n' "$rows" "$import_s" "$(echo "$rows / $import_s" | bc -l)"
printf 'ratio roster_import_time / sqlite3_import_time = %.1f\n' "$(echo "$job_s / $import_s" | bc -l)"

echo "== sqlite3 .import of the rows Roster wrote, into an empty copy of its schema (with indexes)"
for t in users import_records log_events; do
  sqlite3 -csv "$work/csv-data/roster.db" "SELECT * FROM $t" > "$work/dump-$t.csv"
done
sqlite3 "$work/csv-data/roster.db" ".schema users" ".schema import_records" ".schema log_events" > "$work/schema.sql"
sqlite3 "$work/same.db" "PRAGMA journal_mode=WAL;" >/dev/null
sqlite3 "$work/same.db" < "$work/schema.sql"
t0=$(now)
sqlite3 "$work/same.db" ".import --csv $work/dump-users.csv users" ".import --csv $work/dump-import_records.csv import_records" ".import --csv $work/dump-log_events.csv log_events"
t1=$(now)
same_s=$(echo "$t1 - $t0" | bc -l)
printf 'sqlite3 .import of users + import_records + log_events (%s rows): seconds=%.2f\n' \
  "$(sqlite3 "$work/same.db" "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM import_records) + (SELECT count(*) FROM log_events)")" "$same_s"
printf 'ratio roster_import_time / same_rows_import_time = %.1f\n' "$(echo "$job_s / $same_s" | bc -l)"

echo "== LDAP: $ldap_users users and 100 groups in a private slapd"
slapd_bin=/usr/sbin/slapd
[[ -x $slapd_bin ]] || { echo "slapd is not installed: run scripts/test-tools.sh" >&2; exit 1; }
ldap_dir=$work/ldap
mkdir -p "$ldap_dir/db"
ldap_port=$(free_port)
root_pw=bench-Root-1
cat > "$ldap_dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $ldap_dir/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel none
database mdb
maxsize 4294967296
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw $(slappasswd -s "$root_pw")
directory $ldap_dir/db
index objectClass,entryUUID eq
index member eq
limits dn.exact="cn=admin,dc=example,dc=com" size=unlimited
EOF
python3 - "$ldap_users" "$ldap_dir/data.ldif" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
groups = 100
with open(path, "w") as f:
    f.write("dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n")
    f.write("dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n")
    f.write("dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n\n")
    for i in range(n):
        f.write(f"dn: uid=u{i:07d},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u{i:07d}\n"
                f"cn: Given{i} Family{i}\ngivenName: Given{i}\nsn: Family{i}\nmail: u{i:07d}@example.com\n"
                f"title: Engineer {i % 13}\n\n")
    for g in range(groups):
        f.write(f"dn: cn=group{g:03d},ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: group{g:03d}\n")
        for i in range(g, n, groups):
            f.write(f"member: uid=u{i:07d},ou=people,dc=example,dc=com\n")
        f.write("\n")
PY
t0=$(now)
/usr/sbin/slapadd -q -f "$ldap_dir/slapd.conf" -l "$ldap_dir/data.ldif"
"$slapd_bin" -f "$ldap_dir/slapd.conf" -h "ldap://127.0.0.1:$ldap_port/"
for _ in $(seq 1 100); do [[ -f $ldap_dir/slapd.pid ]] && break; sleep 0.1; done
pids+=("$(cat "$ldap_dir/slapd.pid")")
printf 'slapadd and start: %.1f s\n' "$(echo "$(now) - $t0" | bc -l)"
start_roster "$work/ldap-data"
settings=$(printf '{"name":"ldap","label":"Bench LDAP","settings":{"app":{"url":"ldap://127.0.0.1:%s","bindDn":"cn=admin,dc=example,dc=com","bindPassword":"%s","userBaseDn":"ou=people,dc=example,dc=com","groupBaseDn":"ou=groups,dc=example,dc=com"}}}' "$ldap_port" "$root_pw")
app=$(api POST /api/v1/apps "$settings" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api PUT "/api/v1/apps/$app/features/INBOUND_PROVISIONING" "$import_rules" >/dev/null
"$bin" import --url "$url" --app "$app" --wait | tee "$work/ldap-summary.txt"
job=$(head -1 "$work/ldap-summary.txt" | awk '{print $2}')
job_s=$(job_seconds "$job")
members=$(sqlite3 "$work/ldap-data/roster.db" "SELECT count(*) FROM memberships")
printf 'roster LDAP import: users=%s memberships=%s job_seconds=%.2f users_per_second=%.0f peak_rss=%.0f MiB\n' \
  "$(sqlite3 "$work/ldap-data/roster.db" "SELECT count(*) FROM users")" "$members" "$job_s" \
  "$(echo "$ldap_users / $job_s" | bc -l)" "$(echo "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status") / 1024" | bc -l)"
