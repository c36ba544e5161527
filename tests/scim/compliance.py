#!/usr/bin/env python3
"""Run the scim2-tester compliance suite against a Roster SCIM endpoint.

Usage: compliance.py BASE_URL TOKEN [--json FILE]

BASE_URL is the SCIM base, e.g. http://127.0.0.1:8080/scim/v2. Prints every check that did not
succeed, then one line `N passed, N failed, N skipped`. Failed means ERROR or CRITICAL (RFC
MUST/MUST NOT violations); DEVIATION (a SHOULD not followed) is listed and counted as failed
too, so Roster is held to the recommendations as well. Exit status 0 when nothing failed and
at least one check ran.
"""
import argparse
import collections
import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--json", help="write every check's result to this file")
    args = parser.parse_args()

    http = Client(base_url=args.url, headers={"Authorization": f"Bearer {args.token}"}, timeout=60)
    client = SyncSCIMClient(http)
    # check_server discovers /ServiceProviderConfig, /ResourceTypes and /Schemas itself and
    # builds the resource models from what Roster publishes.
    results = check_server(client)

    failing = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}
    for r in results:
        if r.status != Status.SUCCESS:
            print(f"{r.status.name} [{r.resource_type or '-'}] {r.title}: {r.reason}")
    counts = collections.Counter(r.status.name for r in results)
    failed = sum(1 for r in results if r.status in failing)
    skipped = sum(1 for r in results if r.status == Status.SKIPPED)
    print("statuses:", dict(sorted(counts.items())))
    print(f"{len(results) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                [{"status": r.status.name, "title": r.title, "reason": r.reason,
                  "resource_type": r.resource_type, "tags": sorted(r.tags)} for r in results],
                f, indent=1)
    return 0 if results and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
