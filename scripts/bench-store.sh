#!/usr/bin/env bash
# Storage benchmarks of issue "Foundation", printing every figure:
#   bash scripts/bench-store.sh [USERS=1000000] [EVENTS=10000000]
# - create USERS users through the store (batched) on SQLite and on PostgreSQL: users/s;
# - the same rows loaded by sqlite3's own `.import` into the same schema: the physical limit,
#   and the ratio Roster / .import;
# - find a user by login among USERS: p50 / p99;
# - `eventType eq "..."` over EVENTS System Log events: time to the first page of 100.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-1000000}
EVENTS=${2:-10000000}
PG_ADMIN=${ROSTER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release --locked -q -p roster
B=$PWD/target/release/roster
W=$(mktemp -d "${TMPDIR:-/tmp}/roster-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }

echo "== SQLite: $USERS users through the store"
"$B" bench users --data-dir "$W/sqlite" --count "$USERS" | tee "$W/users-sqlite.txt"
"$B" bench find-login --data-dir "$W/sqlite" --count "$USERS"

echo "== sqlite3 .import of the same rows into the same schema (the physical limit)"
sqlite3 -csv "$W/sqlite/roster.db" "SELECT * FROM users" > "$W/users.csv"
sqlite3 "$W/sqlite/roster.db" ".schema users" > "$W/schema.sql"
sqlite3 "$W/import.db" "PRAGMA journal_mode=WAL;" >/dev/null
sqlite3 "$W/import.db" < "$W/schema.sql"
t0=$(now)
sqlite3 "$W/import.db" ".import --csv $W/users.csv users"
t1=$(now)
imported=$(sqlite3 "$W/import.db" "SELECT count(*) FROM users")
roster_s=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' "$W/users-sqlite.txt")
import_s=$(echo "$t1 - $t0" | bc -l)
printf 'sqlite3 .import: rows=%s seconds=%.2f rows_per_second=%.0f\n' "$imported" "$import_s" "$(echo "$imported / $import_s" | bc -l)"
printf 'ratio roster_time / import_time = %.2f\n' "$(echo "$roster_s / $import_s" | bc -l)"

echo "== PostgreSQL: $USERS users through the store"
db="roster_bench_$$"
psql "$PG_ADMIN" -q -c "CREATE DATABASE $db"
PG_URL="${PG_ADMIN%/*}/$db"
"$B" bench users --database-url "$PG_URL" --count "$USERS"
"$B" bench find-login --database-url "$PG_URL" --count "$USERS"

echo "== System Log: $EVENTS events, eventType eq, first page of 100"
"$B" bench log-filter --data-dir "$W/sqlite" --events "$EVENTS"
"$B" bench log-filter --database-url "$PG_URL" --events "$EVENTS"
psql "$PG_ADMIN" -q -c "DROP DATABASE $db WITH (FORCE)"
