#!/usr/bin/env bash
# The one command that installs what Roster's tests need and runs them all:
#   bash scripts/test.sh
# It checks formatting and lints, makes sure PostgreSQL is running on 127.0.0.1:5432 (both the
# SQLite and the PostgreSQL suites run; neither is skipped), installs the real clients the
# end-to-end tests drive (scripts/test-tools.sh), and runs every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

export ROSTER_TEST_POSTGRES_URL=${ROSTER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

step "PostgreSQL"
bash scripts/ensure-postgres.sh

step "test clients (Okta SDKs, SCIM tester) into target/"
eval "$(bash scripts/test-tools.sh)"

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (SQLite and PostgreSQL)"
cargo test --workspace --locked
