#!/usr/bin/env bash
# Install the real clients the end-to-end tests drive, into target/ (never into the system):
#   target/test-venv   Python: the official Okta SDK (`okta`), scim2-tester, scim2-cli,
#                      scim2-client, scim2-server (a third-party SCIM peer), schemathesis
#   target/test-node   Node: the official Okta SDK (@okta/okta-sdk-nodejs) and playwright-core,
#                      which drives Debian's Chromium in the console's browser tests
# and system packages, from Debian's apt (as root, or with sudo):
#   slapd, ldap-utils  OpenLDAP: the tests start private slapd servers (never the system one)
#   chromium           the browser of the console tests (playwright-core never downloads one)
#   python3-aiosmtpd   the real SMTP server of the mail tests (crates/roster/tests/smtp_sink.py,
#                      run with /usr/bin/python3)
# Prints the `export` lines the tests read (ROSTER_TEST_PYTHON, ROSTER_TEST_NODE_MODULES,
# ROSTER_TEST_REQUIRE_SLAPD, ROSTER_TEST_CHROMIUM, ROSTER_TEST_SMTP_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=$root/target/test-venv
stamp=$venv/.roster-installed-v2
if [[ ! -f $stamp ]]; then
  echo "installing Python test clients into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    'okta>=3,<4' 'scim2-tester' 'scim2-cli' 'scim2-client' 'scim2-server' 'schemathesis' >&2
  touch "$stamp"
fi

node_dir=$root/target/test-node
node_stamp=$node_dir/.roster-installed-v2
if [[ ! -f $node_stamp ]]; then
  echo "installing Node test clients into $node_dir" >&2
  mkdir -p "$node_dir"
  (cd "$node_dir" && { [[ -f package.json ]] || npm init -y >/dev/null; } \
    && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
      '@okta/okta-sdk-nodejs@^8' 'playwright-core@^1.50' >&2)
  touch "$node_stamp"
fi

# OpenLDAP for crates/roster-sources' tests (tests/support/slapd.rs). Checking for the programs
# keeps a second run instant; Debian puts slapd in /usr/sbin, which may not be on PATH.
# Chromium for the console's browser tests (crates/roster/tests/console_browser.rs).
# aiosmtpd for the mail tests (crates/roster/tests/email.rs).
if [[ ! -x /usr/sbin/slapd || ! -x /usr/sbin/slapadd ]] || ! command -v ldapadd >/dev/null \
  || [[ ! -x /usr/bin/chromium ]] || ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing slapd, ldap-utils, chromium and python3-aiosmtpd from Debian's packages" >&2
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends slapd ldap-utils openssl chromium fonts-dejavu-core \
      python3-aiosmtpd >&2
fi

echo "export ROSTER_TEST_PYTHON=$venv/bin/python"
echo "export ROSTER_TEST_NODE_MODULES=$node_dir/node_modules"
echo "export ROSTER_TEST_REQUIRE_SLAPD=1"
echo "export ROSTER_TEST_CHROMIUM=/usr/bin/chromium"
echo "export ROSTER_TEST_SMTP_PYTHON=/usr/bin/python3"
