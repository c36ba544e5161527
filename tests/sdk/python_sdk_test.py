#!/usr/bin/env python3
"""Acceptance test of Roster's Management API with the official Okta Python SDK (PyPI `okta` 3.x).

    python python_sdk_test.py BASE_URL API_TOKEN

Drives a running `roster serve` through the SDK's own methods (and, where the SDK has no method,
through its generic request executor, so the SDK still builds, authenticates and parses the
request). Every check prints one line; the script ends with `N passed, N failed` and exits 1 if
anything failed. The passwords it uses are printed to nowhere: the Rust harness checks that none
of them reaches the server's log (it passes them in ROSTER_SDK_SECRETS_FILE when set).
"""

import asyncio
import json
import os
import sys
import time
import traceback
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse, parse_qs

# The SDK refuses http:// unless told this is a test.
os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

from okta.client import Client as OktaClient  # noqa: E402
from okta.exceptions.exceptions import ApiException  # noqa: E402
from okta.models import (  # noqa: E402
    AddGroupRequest,
    ChangePasswordRequest,
    CreateUserRequest,
    PasswordPolicy,
    UpdateUserRequest,
    UserSchema,
)
from okta.pagination import PaginationHelper  # noqa: E402

PASSED = 0
FAILED = 0
SECRETS = []


def secret(value):
    """Remember a password so that the harness can check it never reaches the server's log."""
    SECRETS.append(value)
    return value


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"PASS {name}")
    else:
        FAILED += 1
        print(f"FAIL {name}{': ' + str(detail) if detail else ''}")
    sys.stdout.flush()
    return ok


async def call(coro):
    """Normalise the SDK's return shapes to (data, response, error)."""
    try:
        res = await coro
    except ApiException as e:  # raised for non-2xx responses that do parse
        return None, None, e
    if len(res) == 2:
        return None, res[0], res[1]
    return res


def err_json(err):
    """The Okta error object inside an SDK error, as a dict (empty if none)."""
    for attr in ("body", "message"):
        v = getattr(err, attr, None)
        if isinstance(v, dict):
            return v
        if isinstance(v, str):
            try:
                return json.loads(v)
            except ValueError:
                pass
    for attr in ("error_code", "errorCode"):
        if getattr(err, attr, None):
            return {
                "errorCode": getattr(err, attr),
                "errorSummary": getattr(err, "error_summary", ""),
                "errorCauses": getattr(err, "error_causes", []),
            }
    return {}


def err_status(err, resp=None):
    for attr in ("status", "status_code"):
        v = getattr(err, attr, None)
        if isinstance(v, int):
            return v
    if resp is not None:
        return getattr(resp, "status", None) or getattr(resp, "status_code", None)
    return None


def header(resp, name):
    headers = getattr(resp, "headers", None) or {}
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def links_of(resp):
    """Every Link header value of an SDK response (aiohttp keeps them all)."""
    raw = getattr(resp, "headers", None)
    if raw is None:
        return []
    if hasattr(raw, "getall"):
        return raw.getall("Link", [])
    v = header(resp, "Link")
    return [v] if v else []


def next_url(resp):
    for value in links_of(resp):
        for part in value.split(","):
            if 'rel="next"' in part:
                return part.split(";")[0].strip().strip("<>")
    return None


def group_profile(group):
    """A group's profile: the SDK models it as anyOf(OktaUserGroupProfile, ...)."""
    profile = getattr(group, "profile", None)
    return getattr(profile, "actual_instance", None) or profile


def status_of(user):
    s = getattr(user, "status", None)
    return getattr(s, "value", s)


def provider_type(user):
    creds = getattr(user, "credentials", None)
    provider = getattr(creds, "provider", None)
    t = getattr(provider, "type", None)
    return getattr(t, "value", t)


class Run:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token
        self.client = OktaClient({"orgUrl": self.base, "token": token})
        self.executor = self.client.get_request_executor()
        self.tag = uuid.uuid4().hex[:8]
        self.surname = f"Sdkpy{self.tag}"
        self.pw = uuid.uuid4().hex[:6].upper()  # never part of a login
        self.started = datetime.now(timezone.utc) - timedelta(seconds=5)

    async def raw(self, method, path, body=None, headers=None):
        """A request through the SDK's generic request executor: (status, parsed body, error)."""
        url = path if path.startswith("http") else self.base + path
        request, error = await self.executor.create_request(
            method, url, body, headers or {"Accept": "application/json"}
        )
        if error:
            return None, None, error
        response, body_text, error = await self.executor.execute(request)
        status = getattr(response, "status", None)
        parsed = None
        if body_text:
            try:
                parsed = json.loads(body_text)
            except ValueError:
                parsed = body_text
        if error is not None and parsed is None:
            parsed = err_json(error)
        return status, parsed, error

    def login(self, name):
        return f"{name}.{self.tag}@example.com"

    async def create_user(self, name, first, password=None, activate=True, provider=None, extra=None):
        profile = {
            "firstName": first,
            "lastName": self.surname,
            "email": self.login(name),
            "login": self.login(name),
        }
        profile.update(extra or {})
        body = {"profile": profile}
        creds = {}
        if password:
            creds["password"] = {"value": password}
        if provider:
            creds["provider"] = {"type": provider, "name": provider}
        if creds:
            body["credentials"] = creds
        kwargs = {"activate": activate}
        if provider:
            kwargs["provider"] = True
        return await call(
            self.client.create_user(CreateUserRequest.from_dict(body), **kwargs)
        )

    # ---------------------------------------------------------------- users
    async def users(self):
        self.pw_a = secret(f"Corvid-{self.pw}-Lantern7!")
        user, resp, err = await self.create_user("ada", "Ada", password=self.pw_a)
        check("create user with password, activate=true -> ACTIVE", err is None and status_of(user) == "ACTIVE", err)
        if user is None:
            raise SystemExit("cannot continue without a user")
        self.a = user
        check("created user has OKTA provider", provider_type(user) == "OKTA", provider_type(user))
        check("created user has _links.self.href", bool(user.links and user.links.var_self and user.links.var_self.href), user.links)
        check("created user has ISO dates", user.created is not None and user.last_updated is not None)
        check("created user has passwordChanged", user.password_changed is not None)

        user, _, err = await self.create_user("bea", "Bea", activate=False)
        check("create user activate=false -> STAGED", err is None and status_of(user) == "STAGED", err)
        self.b = user

        user, _, err = await self.create_user("cid", "Cid")
        check("create user without password, activate=true -> PROVISIONED", err is None and status_of(user) == "PROVISIONED", err)
        self.c = user

        user, _, err = await self.create_user("fed", "Fenna", provider="FEDERATION")
        check("create user provider=true FEDERATION -> ACTIVE", err is None and status_of(user) == "ACTIVE", err)
        check("federated user has FEDERATION provider", provider_type(user) == "FEDERATION", provider_type(user) if user else err)
        self.f = user

        user, _, err = await self.create_user("dan", "Dan", password=secret(f"Heron-{self.pw}-Quartz9!"))
        check("create fifth user", err is None, err)
        self.d = user

        user, _, err = await self.create_user("eve", "Eve", activate=False)
        check("create sixth user", err is None, err)
        self.e = user
        self.mine = [u.id for u in (self.a, self.b, self.c, self.f, self.d, self.e) if u is not None]

        got, _, err = await call(self.client.get_user(self.a.id))
        check("get user by id", err is None and got.id == self.a.id and got.profile.login == self.login("ada"), err)
        got, _, err = await call(self.client.get_user(self.login("ada")))
        check("get user by login", err is None and got is not None and got.id == self.a.id, err)
        got, resp, err = await call(self.client.get_user("00unotarealuser"))
        check("get unknown user -> 404 E0000007", err is not None and err_json(err).get("errorCode") == "E0000007", err)

        # Paging: limit=2 through every page with the `after` cursor of the next link.
        seen, pages, after = [], 0, None
        next_urls = []
        while True:
            users, resp, err = await call(self.client.list_users(limit=2, after=after))
            if err is not None:
                check("list users page", False, err)
                break
            pages += 1
            seen.extend(u.id for u in users)
            if len(users) > 2:
                check("page respects limit=2", False, len(users))
            nxt = next_url(resp)
            if nxt:
                next_urls.append(nxt)
            after = PaginationHelper.extract_next_cursor({"Link": ", ".join(links_of(resp))})
            if not after or pages > 50:
                break
        check("list users limit=2 pages through more than one page", pages > 2, pages)
        check("paging returns every user exactly once", len(seen) == len(set(seen)) and set(self.mine) <= set(seen), (len(seen), len(set(seen))))
        check("next links carry the server's base URL", next_urls and all(u.startswith(self.base + "/api/v1/users?") for u in next_urls), next_urls[:1])
        check("last page has no next link", after is None)

        users, _, err = await call(self.client.list_users(search=f'profile.lastName eq "{self.surname}"'))
        ids = {u.id for u in users or []}
        check("search profile.lastName eq", err is None and ids == set(self.mine), (err, len(ids)))
        users, _, err = await call(self.client.list_users(search=f'profile.lastName eq "{self.surname}" and status eq "STAGED"'))
        ids = {u.id for u in users or []}
        check("search with and + status", err is None and ids == {self.b.id, self.e.id}, (err, ids))
        users, _, err = await call(self.client.list_users(filter=f'profile.login eq "{self.login("cid")}"'))
        check("filter profile.login eq", err is None and [u.id for u in users] == [self.c.id], err)
        users, _, err = await call(self.client.list_users(filter='status eq "STAGED"'))
        check("filter status eq STAGED", err is None and {self.b.id, self.e.id} <= {u.id for u in users}, err)
        users, _, err = await call(self.client.list_users(q="Fenna"))
        check("q=firstName prefix", err is None and self.f.id in {u.id for u in users}, err)
        users, _, err = await call(self.client.list_users(search='profile.lastName eq "unterminated'))
        check("bad search -> 400 E0000031", err is not None and err_json(err).get("errorCode") == "E0000031", err)

        upd = UpdateUserRequest.from_dict({"profile": {"nickName": "Countess", "title": "Analyst"}})
        got, _, err = await call(self.client.update_user(self.a.id, upd))
        ok = err is None and got.profile.nick_name == "Countess" and got.profile.first_name == "Ada"
        check("partial update (POST) merges the profile", ok, err)
        full = {
            "firstName": "Ada",
            "lastName": self.surname,
            "email": self.login("ada"),
            "login": self.login("ada"),
            "title": "Lead",
        }
        got, _, err = await call(self.client.replace_user(self.a.id, UpdateUserRequest.from_dict({"profile": full})))
        ok = err is None and got.profile.title == "Lead" and got.profile.nick_name is None
        check("full update (PUT) replaces the profile", ok, err)

        users, _, err = await call(self.client.list_user_groups(self.a.id))
        check("list a user's groups", err is None and isinstance(users, list), err)

    # ------------------------------------------------------------ lifecycle
    async def lifecycle(self):
        tok, _, err = await call(self.client.activate_user(self.b.id, send_email=False))
        if tok is not None and tok.activation_token:
            secret(tok.activation_token)
        check("activate sendEmail=false returns activation URL and token", err is None and tok is not None and bool(tok.activation_url) and bool(tok.activation_token), err)
        got, _, _ = await call(self.client.get_user(self.b.id))
        check("activated user without password is PROVISIONED", status_of(got) == "PROVISIONED", status_of(got))

        tok, _, err = await call(self.client.reactivate_user(self.b.id, send_email=False))
        check("reactivate PROVISIONED user sendEmail=false", err is None and tok is not None and bool(tok.activation_url), err)

        _, _, err = await call(self.client.suspend_user(self.d.id))
        got, _, _ = await call(self.client.get_user(self.d.id))
        check("suspend -> SUSPENDED", err is None and status_of(got) == "SUSPENDED", (err, status_of(got)))
        _, _, err = await call(self.client.suspend_user(self.d.id))
        code = err_json(err).get("errorCode") if err is not None else None
        check("suspend a SUSPENDED user -> 403 E0000038", code == "E0000038" and err_status(err) == 403, err)
        _, _, err = await call(self.client.unsuspend_user(self.d.id))
        got, _, _ = await call(self.client.get_user(self.d.id))
        check("unsuspend -> ACTIVE", err is None and status_of(got) == "ACTIVE", (err, status_of(got)))

        _, _, err = await call(self.client.deactivate_user(self.c.id, send_email=False))
        got, _, _ = await call(self.client.get_user(self.c.id))
        check("deactivate -> DEPROVISIONED", err is None and status_of(got) == "DEPROVISIONED", (err, status_of(got)))
        tok, _, err = await call(self.client.activate_user(self.c.id, send_email=False))
        got, _, _ = await call(self.client.get_user(self.c.id))
        check("activate a DEPROVISIONED user", err is None and status_of(got) in ("PROVISIONED", "ACTIVE"), (err, status_of(got)))

        # Expire password: PASSWORD_EXPIRED, and authn says so.
        got, _, err = await call(self.client.expire_password(self.d.id))
        check("expire_password returns the user PASSWORD_EXPIRED", err is None and got is not None and status_of(got) == "PASSWORD_EXPIRED", err)
        status, body, err = await self.raw("POST", "/api/v1/authn", {"username": self.login("dan"), "password": SECRETS[1]})
        check("authn of an expired password -> PASSWORD_EXPIRED", status == 200 and body.get("status") == "PASSWORD_EXPIRED", (status, body))
        # An admin set ends PASSWORD_EXPIRED.
        new_pw = secret(f"Osprey-{self.pw}-Marble3!")
        got, _, err = await call(self.client.update_user(self.d.id, UpdateUserRequest.from_dict({"credentials": {"password": {"value": new_pw}}})))
        check("admin set password on PASSWORD_EXPIRED user -> ACTIVE", err is None and status_of(got) == "ACTIVE", (err, status_of(got)))

        got, _, err = await call(self.client.expire_password_with_temp_password(self.d.id))
        check("expire_password_with_temp_password returns the user PASSWORD_EXPIRED", err is None and got is not None and got.id == self.d.id and status_of(got) == "PASSWORD_EXPIRED", err)
        status, body, err = await self.raw("POST", f"/api/v1/users/{self.d.id}/lifecycle/expire_password?tempPassword=true")
        temp = body.get("tempPassword") if isinstance(body, dict) else None
        if temp:
            secret(temp)
        check("expire_password?tempPassword=true returns a temporary password", status == 200 and bool(temp), (status, body))
        if temp:
            status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("dan"), "password": temp})
            check("authn with the temporary password -> PASSWORD_EXPIRED", status == 200 and body.get("status") == "PASSWORD_EXPIRED", (status, body))

        # change_password (old + new).
        old = self.pw_a
        new = secret(f"Falcon-{self.pw}-Cobalt5!")
        req = ChangePasswordRequest.from_dict({"oldPassword": {"value": old}, "newPassword": {"value": new}})
        creds, _, err = await call(self.client.change_password(self.a.id, req))
        ok = err is None and creds is not None and getattr(getattr(creds.provider, "type", None), "value", None) == "OKTA"
        check("change_password returns the credentials", ok, err)
        self.pw_a = new
        req = ChangePasswordRequest.from_dict({"oldPassword": {"value": "wrong-Old-1!"}, "newPassword": {"value": secret(f"Egret-{self.pw}-Slate8!")}})
        _, _, err = await call(self.client.change_password(self.a.id, req))
        check("change_password with a wrong old password -> 403 E0000014", err is not None and err_json(err).get("errorCode") == "E0000014", err)
        status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("ada"), "password": self.pw_a})
        check("authn with the changed password -> SUCCESS", status == 200 and body.get("status") == "SUCCESS" and bool(body.get("sessionToken")), (status, body))

        # forgot_password: a one-time URL, and the user stays ACTIVE (Okta's behaviour).
        fp, _, err = await call(self.client.forgot_password(self.a.id, send_email=False))
        url = getattr(fp, "reset_password_url", None) if fp is not None else None
        if url:
            secret(url.rsplit("/", 1)[-1])
        check("forgot_password sendEmail=false -> resetPasswordUrl", err is None and bool(url), err)
        got, _, _ = await call(self.client.get_user(self.a.id))
        check("forgot_password leaves the user ACTIVE", status_of(got) == "ACTIVE", status_of(got))
        if url:
            pw = secret(f"Avocet-{self.pw}-Umber6!")
            status, body, _ = await self.raw("POST", url, {"newPassword": pw})
            check("the forgot-password link sets a new password", status == 200 and body.get("status") == "ACTIVE", (status, body))
            self.pw_a = pw

        # reset_password (SDK method, no body): RECOVERY and a one-time URL.
        tok, _, err = await call(self.client.reset_password(self.a.id, send_email=False))
        if tok is not None and tok.reset_password_url:
            secret(tok.reset_password_url.rsplit("/", 1)[-1])
        check("reset_password sendEmail=false -> resetPasswordUrl", err is None and tok is not None and bool(tok.reset_password_url), err)
        got, _, _ = await call(self.client.get_user(self.a.id))
        check("reset_password puts the user in RECOVERY", status_of(got) == "RECOVERY", status_of(got))
        if tok is not None and tok.reset_password_url:
            check("resetPasswordUrl carries the server's base URL", tok.reset_password_url.startswith(self.base + "/"), tok.reset_password_url)
            pw = secret(f"Plover-{self.pw}-Amber4!")
            status, body, _ = await self.raw("POST", tok.reset_password_url, {"newPassword": pw})
            check("the reset link sets a new password -> ACTIVE", status == 200 and body.get("status") == "ACTIVE", (status, body))
            status, body, _ = await self.raw("POST", tok.reset_password_url, {"newPassword": secret(f"Plover-{self.pw}-Amber5!")})
            check("the reset link works only once", status is not None and 400 <= status < 500, (status, body))
            self.pw_a = pw

        # FEDERATION: no password; reset_password with the provider body converts it to OKTA.
        upd = UpdateUserRequest.from_dict({"credentials": {"password": {"value": secret(f"Wren-{self.pw}-Basalt6!")}}})
        _, _, err = await call(self.client.update_user(self.f.id, upd))
        ej = err_json(err) if err is not None else {}
        check("password for a FEDERATION user -> 400 E0000001", ej.get("errorCode") == "E0000001" and ej.get("errorSummary") == "Api validation failed: password", (err, ej))
        # The same refusal read whole (Roster's cause and remediation are not in the SDK's error type).
        status, ej, _ = await self.raw("POST", f"/api/v1/users/{self.f.id}", {"credentials": {"password": {"value": secret(f"Wren-{self.pw}-Basalt7!")}}})
        causes = " ".join(c.get("errorSummary", "") for c in ej.get("errorCauses", []) or [])
        ok = status == 400 and "FEDERATION" in causes and "FEDERATION" in ej.get("cause", "") and "reset_password" in ej.get("remediation", "")
        check("the FEDERATION refusal says why and how (cause, remediation)", ok, ej)
        status, body, err = await self.raw(
            "POST",
            f"/api/v1/users/{self.f.id}/lifecycle/reset_password?sendEmail=false",
            {"credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}},
        )
        url = body.get("resetPasswordUrl") if isinstance(body, dict) else None
        if url:
            secret(url.rsplit("/", 1)[-1])
        check("reset_password with provider OKTA body -> 200 resetPasswordUrl", status == 200 and bool(url), (status, body))
        got, _, _ = await call(self.client.get_user(self.f.id))
        check("the FEDERATION user is now OKTA and in RECOVERY", provider_type(got) == "OKTA" and status_of(got) == "RECOVERY", (provider_type(got), status_of(got)))
        if url:
            pw = secret(f"Linnet-{self.pw}-Ochre2!")
            status, body, _ = await self.raw("POST", url, {"newPassword": pw})
            check("the converted user sets a password through the link", status == 200 and body.get("status") == "ACTIVE", (status, body))
            status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("fed"), "password": pw})
            check("the converted user authenticates", status == 200 and body.get("status") == "SUCCESS", (status, body))

        # Delete: the first DELETE deactivates, the second removes.
        _, resp, err = await call(self.client.delete_user(self.e.id))
        got, _, _ = await call(self.client.get_user(self.e.id))
        check("delete an active/staged user deactivates it", err is None and status_of(got) == "DEPROVISIONED", (err, status_of(got)))
        _, resp, err = await call(self.client.delete_user(self.e.id))
        got, _, gerr = await call(self.client.get_user(self.e.id))
        check("delete a DEPROVISIONED user removes it", err is None and gerr is not None and err_json(gerr).get("errorCode") == "E0000007", (err, gerr))

    # ------------------------------------------------ groups and policies
    async def groups(self):
        name = f"sdk-py-{self.tag}"
        group, _, err = await call(self.client.add_group(AddGroupRequest.from_dict({"profile": {"name": name, "description": "made by the Python SDK"}})))
        check("create group", err is None and group is not None and group_profile(group).name == name, err)
        if group is None:
            return
        self.group = group
        got, _, err = await call(self.client.get_group(group.id))
        check("get group", err is None and got.id == group.id and got.links is not None, err)
        got, _, err = await call(self.client.replace_group(group.id, AddGroupRequest.from_dict({"profile": {"name": name, "description": "renamed"}})))
        check("replace group", err is None and group_profile(got).description == "renamed", err)
        groups, _, err = await call(self.client.list_groups(q=name))
        check("list groups q=", err is None and group.id in [g.id for g in groups], err)
        groups, _, err = await call(self.client.list_groups(search=f'profile.name eq "{name}"'))
        check("list groups search=", err is None and [g.id for g in groups] == [group.id], err)
        for u in (self.a, self.b, self.d):
            _, _, err = await call(self.client.assign_user_to_group(group.id, u.id))
            if err is not None:
                check("add member", False, err)
        members, resp, err = await call(self.client.list_group_users(group.id))
        check("list members", err is None and {u.id for u in members} == {self.a.id, self.b.id, self.d.id}, err)
        members, resp, err = await call(self.client.list_group_users(group.id, limit=2))
        check("members page with limit=2 has a next link", err is None and len(members) == 2 and next_url(resp) is not None, err)
        groups, _, err = await call(self.client.list_user_groups(self.a.id))
        check("a member's groups include the group", err is None and group.id in [g.id for g in groups], err)
        _, _, err = await call(self.client.unassign_user_from_group(group.id, self.b.id))
        members, _, _ = await call(self.client.list_group_users(group.id))
        check("remove member", err is None and self.b.id not in {u.id for u in members}, err)

    async def policies(self):
        policies, _, err = await call(self.client.list_policies(type="PASSWORD"))
        check("list PASSWORD policies", err is None and len(policies) >= 1, err)
        default = next((p for p in policies or [] if p.system), None)
        check("the default policy is listed as system", default is not None)
        lock_group, _, err = await call(self.client.add_group(AddGroupRequest.from_dict({"profile": {"name": f"sdk-py-lockout-{self.tag}"}})))
        check("create lockout group", err is None, err)
        body = {
            "type": "PASSWORD",
            "name": f"SDK strict {self.tag}",
            "description": "three strikes",
            "priority": 1,
            "conditions": {"people": {"groups": {"include": [lock_group.id]}}, "authProvider": {"provider": "OKTA"}},
            "settings": {
                "password": {
                    "complexity": {"minLength": 10, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1, "excludeUsername": True},
                    "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 2},
                    "lockout": {"maxAttempts": 3, "autoUnlockMinutes": 0, "showLockoutFailures": False},
                }
            },
        }
        policy, _, err = await call(self.client.create_policy(PasswordPolicy.from_dict(body)))
        check("create PASSWORD policy", err is None and policy is not None and policy.id and policy.name == body["name"], err)
        if policy is None:
            return
        got, _, err = await call(self.client.get_policy(policy.id))
        ok = err is None and got.settings.password.lockout.max_attempts == 3 and got.settings.password.complexity.min_length == 10
        check("get policy keeps the settings", ok, err)
        body["description"] = "three strikes, updated"
        body["settings"]["password"]["complexity"]["minLength"] = 12
        got, _, err = await call(self.client.replace_policy(policy.id, PasswordPolicy.from_dict(body)))
        check("replace policy", err is None and got.settings.password.complexity.min_length == 12 and got.description == "three strikes, updated", err)
        _, _, err = await call(self.client.deactivate_policy(policy.id))
        got, _, _ = await call(self.client.get_policy(policy.id))
        check("deactivate policy", err is None and getattr(got.status, "value", got.status) == "INACTIVE", err)
        _, _, err = await call(self.client.activate_policy(policy.id))
        got, _, _ = await call(self.client.get_policy(policy.id))
        check("activate policy", err is None and getattr(got.status, "value", got.status) == "ACTIVE", err)
        if default is not None:
            _, _, err = await call(self.client.delete_policy(default.id))
            check("the default policy cannot be deleted", err is not None and err_status(err) == 400, err)

        # The policy applies to its group: a weak password fails with Okta's words.
        pw = secret(f"Kestrel-{self.pw}-Ivory1!")
        user, _, err = await self.create_user("lou", "Lou", password=pw)
        self.lou = user
        _, _, err = await call(self.client.assign_user_to_group(lock_group.id, user.id))
        upd = UpdateUserRequest.from_dict({"credentials": {"password": {"value": secret("Short1!x")}}})
        _, _, err = await call(self.client.update_user(user.id, upd))
        causes = " ".join(c.get("errorSummary", "") for c in err_json(err).get("errorCauses", []) or []) if err else ""
        check("a password the group's policy refuses -> E0000001 with requirements", "at least 12 characters" in causes, (err, causes))

        # Lock the user out with failed authn calls, then unlock.
        for i in range(3):
            status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("lou"), "password": f"Wrong-{i}-Password!"})
            if status != 401 or body.get("errorCode") != "E0000004":
                check("failed authn -> 401 E0000004", False, (status, body))
        got, _, _ = await call(self.client.get_user(user.id))
        check("three failed authns lock the user out", status_of(got) == "LOCKED_OUT", status_of(got))
        status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("lou"), "password": pw})
        check("authn of a locked-out user -> LOCKED_OUT", status == 200 and body.get("status") == "LOCKED_OUT", (status, body))
        _, _, err = await call(self.client.unlock_user(user.id))
        got, _, _ = await call(self.client.get_user(user.id))
        check("unlock -> ACTIVE", err is None and status_of(got) == "ACTIVE", (err, status_of(got)))
        status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": self.login("lou"), "password": pw})
        check("authn after unlock -> SUCCESS", status == 200 and body.get("status") == "SUCCESS", (status, body))
        got, _, _ = await call(self.client.get_user(user.id))
        check("authn sets lastLogin", got.last_login is not None)
        status, body, _ = await self.raw("POST", "/api/v1/authn", {"username": f"nobody.{self.tag}@example.com", "password": "Whatever-1!"})
        check("authn of an unknown user -> 401 E0000004", status == 401 and body.get("errorCode") == "E0000004", (status, body))

        # Clean up: remove the member, then the policy and its group.
        _, _, err = await call(self.client.delete_policy(policy.id))
        _, _, gerr = await call(self.client.get_policy(policy.id))
        check("delete policy", err is None and gerr is not None and err_status(gerr) == 404, (err, gerr))
        _, _, err = await call(self.client.delete_group(lock_group.id))
        _, _, gerr = await call(self.client.get_group(lock_group.id))
        check("delete group", err is None and gerr is not None and err_json(gerr).get("errorCode") == "E0000007", (err, gerr))

    # ---------------------------------------------------------------- schema
    async def schema(self):
        schema, _, err = await call(self.client.get_user_schema("default"))
        ok = err is None and schema is not None and schema.definitions is not None and schema.definitions.base is not None
        check("get the user profile schema", ok, err)
        attr = f"costCenter{self.tag}"
        body = {
            "definitions": {
                "custom": {
                    "id": "#custom",
                    "type": "object",
                    "properties": {
                        attr: {"title": "Cost center", "description": "made by the SDK test", "type": "string", "minLength": 2, "maxLength": 10}
                    },
                    "required": [],
                }
            }
        }
        schema, _, err = await call(self.client.update_user_profile("default", UserSchema.from_dict(body)))
        props = (schema.definitions.custom.properties or {}) if schema is not None and schema.definitions and schema.definitions.custom else {}
        check("add a custom attribute to the schema", err is None and attr in props, err)
        got, _, err = await call(self.client.update_user(self.a.id, UpdateUserRequest.from_dict({"profile": {attr: "CC-42"}})))
        value = (got.profile.additional_properties or {}).get(attr) if got is not None and got.profile is not None else None
        if value is None and got is not None:
            value = got.profile.to_dict().get(attr)
        check("a user takes the custom attribute", err is None and value == "CC-42", (err, value))
        _, _, err = await call(self.client.update_user(self.a.id, UpdateUserRequest.from_dict({"profile": {attr: "this value is far too long"}})))
        check("the custom attribute's maxLength is enforced -> E0000001", err is not None and err_json(err).get("errorCode") == "E0000001", err)

    # ---------------------------------------------------------------- logs
    async def logs(self):
        until = (datetime.now(timezone.utc) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        since = self.started.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        flt = 'eventType eq "user.lifecycle.create"'
        seen, pages, after = [], 0, None
        while True:
            events, resp, err = await call(self.client.list_log_events(since=since, until=until, filter=flt, limit=2, after=after))
            if err is not None:
                check("list log events page", False, err)
                break
            pages += 1
            seen.extend(events)
            after = PaginationHelper.extract_next_cursor({"Link": ", ".join(links_of(resp))})
            if not after or pages > 50:
                break
        check("System Log filter + limit=2 pages through more than one page", pages > 1, pages)
        types = {e.event_type for e in seen}
        check("every event matches the filter", types == {"user.lifecycle.create"}, types)
        targets = {t.id for e in seen for t in (e.target or [])}
        check("every user creation is logged", set(self.mine) <= targets, len(targets))
        uuids = [e.uuid for e in seen]
        check("no event twice across pages", len(uuids) == len(set(uuids)))
        check("events have the acting token as actor", all(e.actor is not None and e.actor.type == "ApiToken" for e in seen), seen[0].actor if seen else None)
        check("events have published ISO dates", all(e.published is not None for e in seen))

        events, _, err = await call(self.client.list_log_events(since=since, until=until, q="reset_password", limit=100))
        check("System Log q= keyword", err is None and any(e.event_type == "user.account.reset_password" or "reset" in (e.event_type or "") for e in events), err)
        events, _, err = await call(self.client.list_log_events(since=since, filter='eventType eq "group.user_membership.add"', sort_order="DESCENDING", limit=1000))
        check("System Log DESCENDING", err is None and len(events) >= 3 and all(events[i].published >= events[i + 1].published for i in range(len(events) - 1)), err)
        events, _, err = await call(self.client.list_log_events(filter='eventType eq "unterminated'))
        check("bad System Log filter -> 400 E0000031", err is not None and err_json(err).get("errorCode") == "E0000031", err)

    async def tokens(self):
        tokens, _, err = await call(self.client.list_api_tokens())
        check("list API tokens (values never returned)", err is None and len(tokens) >= 1 and all(self.token not in json.dumps(t.to_dict(), default=str) for t in tokens), err)

    async def run(self):
        for section in (self.users, self.lifecycle, self.groups, self.policies, self.schema, self.logs, self.tokens):
            try:
                await section()
            except SystemExit:
                raise
            except Exception as e:  # a crash in a section is a failure, not the end of the run
                check(f"{section.__name__} section ran without an exception", False, f"{type(e).__name__}: {e}")
                traceback.print_exc(file=sys.stdout)


async def main():
    if len(sys.argv) != 3:
        print("usage: python_sdk_test.py BASE_URL API_TOKEN", file=sys.stderr)
        return 2
    run = Run(sys.argv[1], sys.argv[2])
    try:
        await run.run()
    except SystemExit as e:
        check("setup", False, e)
    secrets_file = os.environ.get("ROSTER_SDK_SECRETS_FILE")
    if secrets_file:
        with open(secrets_file, "w") as f:
            f.write("\n".join(SECRETS) + "\n")
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
