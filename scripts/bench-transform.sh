#!/usr/bin/env bash
# Throughput of roster-transform on one thread: a typical 15-mapping user document applied to
# N generated Roster user documents (default 1,000,000), against a serde_json round trip of
# the same documents. Prints documents/s and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --locked -p roster-transform --example bench -- "${1:-1000000}"
