#!/usr/bin/env python3
"""Drive Roster's SCIM endpoint with a real SCIM client library (PyPI scim2-client).

Usage: client_e2e.py BASE_URL TOKEN

BASE_URL is the SCIM base, e.g. http://127.0.0.1:8080/scim/v2. Every step prints `ok: ...`;
the first failed expectation raises, and the script exits non-zero. It covers discovery,
create/read, PATCH with value paths, ETags (If-Match, If-None-Match), paging and filtering,
/.search, Bulk with bulkId references and failOnErrors, group membership through PATCH, and
delete. The server must be fresh except for what this script creates (user names carry a
random suffix so reruns do not collide).
"""
import sys
import uuid

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    BulkOperation,
    BulkRequest,
    Error,
    ListResponse,
    PatchOp,
    PatchOperation,
    SearchRequest,
)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def main() -> int:
    url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    scim = SyncSCIMClient(http)
    scim.discover()
    User = scim.get_resource_model("User")
    Group = scim.get_resource_model("Group")
    expect(User is not None and Group is not None, "discovery publishes User and Group")
    expect(scim.provider.config.etag.supported, "ServiceProviderConfig says ETags are supported")
    expect(scim.provider.config.bulk.max_operations >= 10, "ServiceProviderConfig publishes the Bulk limits")

    run = uuid.uuid4().hex[:8]
    enterprise_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

    def new_user(n, **extra):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise_urn],
            "userName": f"client-{run}-{n:02d}@example.com",
            "name": {"givenName": f"Given{n}", "familyName": f"Family{n}"},
            "emails": [{"value": f"client-{run}-{n:02d}@example.com", "type": "work"}],
            "password": f"Tr0ub4dor&Horse{n}",
            enterprise_urn: {"department": "Engineering" if n % 2 else "Sales", "employeeNumber": str(1000 + n)},
        }
        body.update(extra)
        return scim.create(User, body)

    # Create and read.
    ann = new_user(0, displayName="Ann Client", phoneNumbers=[{"value": "+1 555 0100", "type": "work"}])
    expect(ann.id and ann.meta.version, "create answers the user with an id and meta.version")
    expect(ann.user_name == f"client-{run}-00@example.com", "userName round-trips")
    expect(getattr(ann, "password", None) is None, "the password is never returned")
    again = scim.query(User, ann.id)
    expect(again.id == ann.id and again[enterprise_urn].department == "Sales", "GET returns the enterprise extension")

    # If-None-Match: the client sends the version it holds; an unchanged user is 304 and the
    # client hands back its own copy.
    same = scim.query(again)
    expect(same.meta.version == again.meta.version, "a conditional GET of an unchanged user is answered 304")

    # PATCH with value paths.
    op = PatchOp[User](operations=[
        PatchOperation(op=PatchOperation.Op.replace_, path='emails[type eq "work"].value', value=f"ann-{run}@example.org"),
        PatchOperation(op=PatchOperation.Op.add, path='phoneNumbers[type eq "mobile"].value', value="+1 555 0199"),
        PatchOperation(op=PatchOperation.Op.replace_, path=f"{enterprise_urn}:department", value="Research"),
    ])
    patched = scim.modify(User, ann.id, op)
    emails = {e.type: e.value for e in patched.emails}
    phones = {p.type: p.value for p in patched.phone_numbers}
    expect(emails.get("work") == f"ann-{run}@example.org", "PATCH emails[type eq \"work\"].value replaces the work email")
    expect(phones == {"work": "+1 555 0100", "mobile": "+1 555 0199"}, "PATCH add phoneNumbers[type eq \"mobile\"].value adds a mobile number")
    expect(patched[enterprise_urn].department == "Research", "PATCH on an enterprise attribute path")
    expect(patched.meta.version != ann.meta.version, "PATCH changes meta.version")

    # If-Match: a write with the old version is refused with 412 and changes nothing.
    stale = PatchOp[User](operations=[PatchOperation(op=PatchOperation.Op.replace_, path="displayName", value="Stale")])
    result = scim.modify(User, ann.id, stale, headers={"If-Match": ann.meta.version},
                         expected_status_codes=None, raise_scim_errors=False)
    expect(isinstance(result, Error) and result.status == 412, "PATCH with a stale If-Match is 412")
    expect(scim.query(User, ann.id).display_name == "Ann Client", "the refused PATCH changed nothing")
    current = scim.query(User, ann.id)
    current.display_name = "Ann Replaced"
    replaced = scim.replace(current)  # the client sends If-Match with the version it holds
    expect(replaced.display_name == "Ann Replaced", "PUT with the current version (If-Match) succeeds")

    # Paging and filtering.
    for n in range(1, 8):
        new_user(n)
    prefix = f"client-{run}-"
    seen = []
    for start in (1, 4, 7):
        page = scim.query(User, query_parameters=SearchRequest(
            filter=f'userName sw "{prefix}"', start_index=start, count=3, sort_by="userName"))
        expect(page.total_results == 8, f"filtered list reports totalResults 8 (startIndex {start})")
        seen.extend(u.user_name for u in page.resources or [])
    expect(seen == sorted(seen) and len(seen) == 8 and len(set(seen)) == 8, "three pages of 3 return the 8 users once, sorted")
    eng = scim.query(User, query_parameters=SearchRequest(
        filter=f'userName sw "{prefix}" and {enterprise_urn}:department eq "Engineering"'))
    expect(eng.total_results == 4, "filter on an enterprise attribute")
    searched = scim.search(SearchRequest(filter=f'userName eq "{prefix}03@example.com"', attributes=["userName"]))
    expect(isinstance(searched, ListResponse) and searched.total_results == 1, "POST /.search finds one user")

    # Bulk: a user and a group that names it by bulkId, then failOnErrors.
    bulk = BulkRequest[User | Group](operations=[
        BulkOperation[User](method="POST", path="/Users", bulk_id="u1", data={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"bulk-{run}@example.com",
            "name": {"givenName": "Bulk", "familyName": "User"},
            "emails": [{"value": f"bulk-{run}@example.com", "type": "work"}],
        }),
        BulkOperation[Group](method="POST", path="/Groups", bulk_id="g1", data={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": f"Bulk group {run}",
            "members": [{"value": "bulkId:u1", "type": "User"}],
        }),
    ])
    answer = scim.bulk(bulk)
    statuses = [int(o.status) for o in answer.operations]
    expect(statuses == [201, 201], "Bulk creates the user and the group that references it by bulkId")
    group_location = answer.operations[1].location
    group_id = group_location.rsplit("/", 1)[-1]
    group = scim.query(Group, group_id)
    bulk_user_id = answer.operations[0].location.rsplit("/", 1)[-1]
    expect([m.value for m in group.members] == [bulk_user_id], "the group's member is the user made in the same Bulk request")

    failing = BulkRequest[User](fail_on_errors=1, operations=[
        BulkOperation[User](method="POST", path="/Users", bulk_id="dup", data={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"bulk-{run}@example.com",
            "name": {"givenName": "Dup", "familyName": "User"},
            "emails": [{"value": f"bulk-{run}@example.com"}],
        }),
        BulkOperation[User](method="DELETE", path=f"/Users/{bulk_user_id}"),
    ])
    answer = scim.bulk(failing)
    expect(len(answer.operations) == 1 and int(answer.operations[0].status) == 409,
           "failOnErrors=1 stops after the duplicate userName (409) and runs nothing more")
    expect(scim.query(User, bulk_user_id).id == bulk_user_id, "the operation after the error did not run")

    # Group membership through PATCH.
    add = PatchOp[Group](operations=[PatchOperation(op=PatchOperation.Op.add, path="members", value=[{"value": ann.id, "type": "User"}])])
    group = scim.modify(Group, group_id, add)
    expect(sorted(m.value for m in group.members) == sorted([ann.id, bulk_user_id]), "PATCH add members")
    remove = PatchOp[Group](operations=[PatchOperation(op=PatchOperation.Op.remove, path=f'members[value eq "{bulk_user_id}"]')])
    group = scim.modify(Group, group_id, remove)
    expect([m.value for m in group.members] == [ann.id], 'PATCH remove members[value eq "..."]')
    in_group = scim.query(User, query_parameters=SearchRequest(filter=f'groups.value eq "{group_id}"'))
    expect([u.id for u in in_group.resources or []] == [ann.id], "users filter on groups.value")

    # Delete.
    scim.delete(User, bulk_user_id)
    gone = scim.query(User, bulk_user_id, expected_status_codes=None, raise_scim_errors=False)
    expect(isinstance(gone, Error) and gone.status == 404, "a deleted user is 404")
    scim.delete(Group, group_id)
    print("all scim2-client checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
