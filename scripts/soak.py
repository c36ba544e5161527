#!/usr/bin/env python3
"""Soak (issue #13): a long mixed load against real `roster serve` processes, reported over time.

    python3 scripts/soak.py [--minutes 30] [--nodes 1|2] [--postgres URL] [--threads 8]

One hub and a spoke (or two spokes sharing one PostgreSQL database with --nodes 2 --postgres
URL). The spoke pushes a group to the hub over Org2Org (creates, profiles, passwords,
deactivations). Worker threads mix Management API reads and writes (users created in the pushed
group, profile changes, password changes, removals from the group), SCIM reads and writes, and
every 60 s a CSV import of 200 records runs. Every 10 s a line reports the operations per second
of the interval, errors by status, the push backlog (app users still SYNCING) and each process's
RSS; the end compares the first and last intervals (goal: no error growth, RSS flat within 20%).

The binary is ROSTER_BIN, else target/release/roster (cargo build --release -p roster), else
target/debug/roster. Only the Python standard library is used.
"""

import argparse
import base64
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binary():
    if os.environ.get("ROSTER_BIN"):
        return os.environ["ROSTER_BIN"]
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "roster")
        if os.path.exists(path):
            return path
    sys.exit("build first: cargo build --release -p roster (or set ROSTER_BIN)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    def __init__(self, name, work, token, env_extra, database_url=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data = os.path.join(work, name)
        env = dict(os.environ)
        env.update(
            ROSTER_BOOTSTRAP_TOKEN=token,
            ROSTER_LOG="warn",
            ROSTER_RATE_LIMIT_PER_MINUTE="1000000000",
            **env_extra,
        )
        args = [binary(), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", data]
        if database_url:
            args += ["--database-url", database_url]
        self.log = open(os.path.join(work, f"{name}.log"), "w")
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        sys.exit(f"{name} did not start; see {self.log.name}")

    def rss_mib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def call(url, token, method, path, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", f"SSWS {token}")
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read()
            return resp.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        try:
            detail = json.loads(e.read() or b"null")
        except ValueError:
            detail = None
        return e.code, detail
    except Exception:
        return 0, None


def must(result, what):
    status, body = result
    if status not in (200, 201, 202, 204):
        sys.exit(f"setup failed: {what}: {status}")
    return body


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.errors = Counter()
        # The first error body of each (operation, status), shown at the end.
        self.samples = {}

    def record(self, status, what="", body=None):
        with self.lock:
            if 200 <= status < 300:
                self.ok += 1
            else:
                self.errors[status] += 1
                key = (what, status)
                if key not in self.samples:
                    self.samples[key] = body

    def take(self):
        with self.lock:
            ok, errors = self.ok, self.errors
            self.ok, self.errors = 0, Counter()
            return ok, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--nodes", type=int, default=1, choices=(1, 2))
    ap.add_argument("--postgres", help="postgres:// URL of an empty database for the spoke(s)")
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    if args.nodes == 2 and not args.postgres:
        sys.exit("--nodes 2 needs --postgres URL")

    work = tempfile.mkdtemp(prefix="roster-soak-")
    token = "00soak" + base64.b32encode(os.urandom(10)).decode().lower()
    key = base64.b64encode(os.urandom(32)).decode()
    hub = Node("hub", work, token, {})
    spokes = [
        Node(f"spoke{i}", work, token, {"ROSTER_MASTER_KEY": key}, args.postgres)
        for i in range(args.nodes)
    ]
    spoke = spokes[0]
    print(f"binary {binary()}; hub {hub.url}; spokes {[s.url for s in spokes]}; logs in {work}")

    app = must(call(spoke.url, token, "POST", "/api/v1/apps", {
        "name": "okta_org2org", "label": "Hub", "signOnMode": "SAML_2_0",
        "settings": {"app": {"baseUrl": hub.url}}}), "app")
    app_id = app["id"]
    must(call(spoke.url, token, "POST", f"/api/v1/apps/{app_id}/connections/default?activate=TRUE",
              {"profile": {"authScheme": "TOKEN", "token": token}}), "connection")
    must(call(spoke.url, token, "PUT", f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", {
        "create": {"lifecycleCreate": {"status": "ENABLED"}},
        "update": {"profile": {"status": "ENABLED"}, "lifecycleDeactivate": {"status": "ENABLED"},
                   "password": {"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}}}), "features")
    group = must(call(spoke.url, token, "POST", "/api/v1/groups", {"profile": {"name": "Soak"}}), "group")
    group_id = group["id"]
    must(call(spoke.url, token, "PUT", f"/api/v1/apps/{app_id}/groups/{group_id}", {}), "assign group")
    csv_app = must(call(spoke.url, token, "POST", "/api/v1/apps", {"name": "csv", "label": "Soak HR"}), "csv app")
    must(call(spoke.url, token, "PUT", f"/api/v1/apps/{csv_app['id']}/features/INBOUND_PROVISIONING", {
        "status": "ENABLED", "capabilities": {"importRules": {"userCreateAndMatch": {
            "exactMatchCriteria": "USERNAME", "autoConfirmExactMatch": True,
            "autoConfirmNewUsers": True, "autoActivateNewUsers": True}}}}), "csv features")

    stats = Stats()
    stop = threading.Event()
    users = []
    users_lock = threading.Lock()

    def worker(n):
        rnd = random.Random(n)
        i = 0
        while not stop.is_set():
            i += 1
            node = spokes[i % len(spokes)]
            kind = rnd.random()
            with users_lock:
                some = rnd.choice(users) if users else None
            if kind < 0.30:
                what = "list users"
                status, body = call(node.url, token, "GET", "/api/v1/users?limit=20")
            elif kind < 0.45:
                login = f"soak{n}x{i}@example.com"
                what = "create user"
                status, body = call(node.url, token, "POST", "/api/v1/users?activate=true", {
                    "profile": {"login": login, "email": login, "firstName": "Soak", "lastName": str(i)},
                    "credentials": {"password": {"value": f"Soak-{n}-{i}-Aa9!"}},
                    "groupIds": [group_id]})
                if status == 200:
                    with users_lock:
                        users.append(body["id"])
            elif kind < 0.60 and some:
                what = "update profile"
                status, body = call(node.url, token, "POST", f"/api/v1/users/{some}",
                                 {"profile": {"title": f"t{rnd.randrange(10**6)}"}})
            elif kind < 0.65 and some:
                what = "set password"
                status, body = call(node.url, token, "POST", f"/api/v1/users/{some}",
                                 {"credentials": {"password": {"value": f"Again-{rnd.randrange(10**9)}-Aa9!"}}})
            elif kind < 0.67 and some:
                what = "remove from group"
                status, body = call(node.url, token, "DELETE", f"/api/v1/groups/{group_id}/users/{some}")
                with users_lock:
                    if some in users:
                        users.remove(some)
            elif kind < 0.85:
                what = "SCIM list"
                status, body = call(node.url, token, "GET", "/scim/v2/Users?count=10")
            else:
                login = f"scim{n}x{i}@example.com"
                what = "SCIM create"
                status, body = call(node.url, token, "POST", "/scim/v2/Users", {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": login,
                    "name": {"givenName": "Sc", "familyName": "Im"}, "active": True,
                    "emails": [{"value": login, "type": "work", "primary": True}]},
                    content_type="application/scim+json")
            stats.record(status, what, body)

    def importer():
        k = 0
        while not stop.wait(60):
            k += 1
            rows = ["externalId,login,email,firstName,lastName,title"]
            for r in range(200):
                login = f"hr{r}@example.com"
                rows.append(f"e{r},{login},{login},Hr,{r},round {k}")
            what = "CSV import"
            status, body = call(spoke.url, token, "POST", f"/api/v1/apps/{csv_app['id']}/imports",
                             "\n".join(rows) + "\n", content_type="text/csv")
            stats.record(status, what, body)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.threads)]
    threads.append(threading.Thread(target=importer, daemon=True))
    for t in threads:
        t.start()

    nodes = [("hub", hub)] + [(f"spoke{i}", s) for i, s in enumerate(spokes)]
    rss_start = {name: n.rss_mib() for name, n in nodes}
    intervals = []
    deadline = time.time() + args.minutes * 60
    print("  time   ops/s  errors          backlog  RSS MiB " + " ".join(name for name, _ in nodes))
    while time.time() < deadline:
        time.sleep(10)
        ok, errors = stats.take()
        _, app_users = call(spoke.url, token, "GET", f"/api/v1/apps/{app_id}/users?limit=200")
        backlog = sum(1 for u in (app_users or []) if u.get("syncState") == "SYNCING")
        rss = {name: n.rss_mib() for name, n in nodes}
        intervals.append((ok / 10, sum(errors.values()), rss))
        elapsed = args.minutes * 60 - (deadline - time.time())
        print(f"{elapsed:6.0f}s {ok / 10:7.1f}  {sum(errors.values()):5d} {dict(errors)!s:12.12} "
              f"{backlog:5d}     " + " ".join(f"{rss[name]:6.1f}" for name, _ in nodes), flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=70)

    print("\n== summary")
    if intervals:
        first, last = intervals[0], intervals[-1]
        third = max(1, len(intervals) // 3)
        early = sum(i[1] for i in intervals[:third])
        late = sum(i[1] for i in intervals[-third:])
        print(f"throughput: first interval {first[0]:.1f} ops/s, last {last[0]:.1f} ops/s")
        print(f"errors: {sum(i[1] for i in intervals)} in all; first third {early}, last third {late}")
        for name, _ in nodes:
            start = intervals[0][2][name] or rss_start[name]
            end = last[2][name]
            print(f"RSS {name}: {start:.1f} MiB after 10 s -> {end:.1f} MiB at the end ({(end / start - 1) * 100 if start else 0:+.0f}%)")
    for (what, status), body in sorted(stats.samples.items()):
        print(f"first {status} of {what}: {json.dumps(body)[:300]}")
    for _, n in nodes:
        n.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
