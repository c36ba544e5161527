#!/usr/bin/env node
// Acceptance test of Roster's Management API with the official Okta Node SDK
// (@okta/okta-sdk-nodejs 8.x).
//
//     node node_sdk_test.mjs BASE_URL API_TOKEN
//
// The SDK is loaded from ROSTER_TEST_NODE_MODULES (or NODE_PATH): `bash scripts/test-tools.sh`
// installs it under target/test-node. Every check prints one line; the script ends with
// `N passed, N failed` and exits 1 if anything failed. When ROSTER_SDK_SECRETS_FILE is set, the
// passwords used are written there so the Rust harness can check the server never logged them.

import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const modulesDir = process.env.ROSTER_TEST_NODE_MODULES || (process.env.NODE_PATH || '').split(path.delimiter)[0];
if (!modulesDir) {
  console.error('set ROSTER_TEST_NODE_MODULES (or NODE_PATH) to the node_modules holding @okta/okta-sdk-nodejs; run `bash scripts/test-tools.sh`');
  process.exit(2);
}
const require = createRequire(path.join(modulesDir, 'roster-sdk-test.cjs'));
const okta = require('@okta/okta-sdk-nodejs');

let passed = 0;
let failed = 0;
const secrets = [];

function secret(value) {
  secrets.push(value);
  return value;
}

function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`PASS ${name}`);
  } else {
    failed += 1;
    const d = detail === undefined ? '' : `: ${detail instanceof Error ? detail.message : JSON.stringify(detail)}`;
    console.log(`FAIL ${name}${d}`);
  }
  return ok;
}

/** Run an SDK call: [value, error]. */
async function attempt(promise) {
  try {
    return [await promise, null];
  } catch (e) {
    return [null, e];
  }
}

async function collect(collection, max = 1000) {
  const items = [];
  for await (const item of collection) {
    if (item) items.push(item);
    if (items.length >= max) break;
  }
  return items;
}

class Run {
  constructor(base, token) {
    this.base = base.replace(/\/$/, '');
    this.token = token;
    this.client = new okta.Client({ orgUrl: this.base, token });
    this.users = this.client.userApi;
    this.tag = randomUUID().replace(/-/g, '').slice(0, 8);
    this.pw = randomUUID().replace(/-/g, '').slice(0, 6).toUpperCase();
    this.surname = `Sdknode${this.tag}`;
    this.started = new Date(Date.now() - 5000);
  }

  login(name) {
    return `${name}.${this.tag}@example.com`;
  }

  /** A request through the SDK's own HTTP layer (auth, headers, errors): [status, body]. */
  async raw(method, urlOrPath, body) {
    const url = urlOrPath.startsWith('http') ? urlOrPath : this.base + urlOrPath;
    const request = { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' } };
    if (body !== undefined) request.body = JSON.stringify(body);
    try {
      const res = await this.client.http.http(url, request);
      const text = await res.text();
      return [res.status, text ? JSON.parse(text) : null];
    } catch (e) {
      let parsed = null;
      if (e.errorCode) parsed = { errorCode: e.errorCode, errorSummary: e.errorSummary, errorCauses: e.errorCauses };
      return [e.status, parsed];
    }
  }

  async createUser(name, first, { password, activate = true, provider } = {}) {
    const body = {
      profile: { firstName: first, lastName: this.surname, email: this.login(name), login: this.login(name) },
    };
    const credentials = {};
    if (password) credentials.password = { value: password };
    if (provider) credentials.provider = { type: provider, name: provider };
    if (Object.keys(credentials).length) body.credentials = credentials;
    const params = { body, activate };
    if (provider) params.provider = true;
    return attempt(this.users.createUser(params));
  }

  async getUser(id) {
    return attempt(this.users.getUser({ userId: id }));
  }

  // ------------------------------------------------------------------ users
  async usersSection() {
    this.pwA = secret(`Corvid-${this.pw}-Lantern7!`);
    let [u, err] = await this.createUser('ada', 'Ada', { password: this.pwA });
    check('create user with password, activate=true -> ACTIVE', !err && u.status === 'ACTIVE', err);
    if (!u) throw new Error('cannot continue without a user');
    this.a = u;
    check('created user has OKTA provider', u.credentials?.provider?.type === 'OKTA', u.credentials);
    check('created user has _links.self.href', Boolean(u._links?.self?.href), u._links);
    check('created user has dates', u.created instanceof Date || typeof u.created === 'string', u.created);

    [u, err] = await this.createUser('bea', 'Bea', { activate: false });
    check('create user activate=false -> STAGED', !err && u.status === 'STAGED', err);
    this.b = u;
    [u, err] = await this.createUser('cid', 'Cid');
    check('create user without password -> PROVISIONED', !err && u.status === 'PROVISIONED', err);
    this.c = u;
    [u, err] = await this.createUser('fed', 'Fenna', { provider: 'FEDERATION' });
    check('create user provider=true FEDERATION', !err && u.status === 'ACTIVE' && u.credentials?.provider?.type === 'FEDERATION', err || u.credentials);
    this.f = u;
    [u, err] = await this.createUser('dan', 'Dan', { password: secret(`Heron-${this.pw}-Quartz9!`) });
    check('create fifth user', !err, err);
    this.d = u;
    [u, err] = await this.createUser('eve', 'Eve', { activate: false });
    check('create sixth user', !err, err);
    this.e = u;
    this.mine = [this.a, this.b, this.c, this.f, this.d, this.e].filter(Boolean).map((x) => x.id);

    [u, err] = await this.getUser(this.a.id);
    check('get user by id', !err && u.id === this.a.id && u.profile.login === this.login('ada'), err);
    [u, err] = await this.getUser(this.login('ada'));
    check('get user by login', !err && u.id === this.a.id, err);
    [u, err] = await this.getUser('00unotarealuser');
    check('get unknown user -> 404 E0000007', err && err.status === 404 && err.errorCode === 'E0000007', err);

    // Paging with limit=2: `for await` follows the absolute Link rel="next" URL as given.
    const pages = [];
    const origFetch = this.client.requestExecutor.fetch.bind(this.client.requestExecutor);
    this.client.requestExecutor.fetch = (req) => {
      if (req.url.includes('/api/v1/users?') || req.url.endsWith('/api/v1/users')) pages.push(req.url);
      return origFetch(req);
    };
    const [all, lerr] = await attempt(this.users.listUsers({ limit: 2 }).then((c) => collect(c)));
    this.client.requestExecutor.fetch = origFetch;
    const ids = (all || []).map((x) => x.id);
    check('listUsers({limit: 2}) iterates every user', !lerr && this.mine.every((id) => ids.includes(id)), lerr);
    check('paging went through more than one page', pages.length > 2, pages.length);
    check('no user twice across pages', new Set(ids).size === ids.length, ids.length);
    check('next URLs are absolute on the server', pages.slice(1).every((p) => p.startsWith(`${this.base}/api/v1/users?`) && p.includes('after=')), pages.slice(1, 2));
    check('every page kept limit=2', pages.every((p) => p.includes('limit=2')), pages);

    let list;
    [list, err] = await attempt(this.users.listUsers({ search: `profile.lastName eq "${this.surname}"` }).then((c) => collect(c)));
    check('search profile.lastName eq', !err && new Set(list.map((x) => x.id)).size === this.mine.length && list.every((x) => this.mine.includes(x.id)), err);
    [list, err] = await attempt(this.users.listUsers({ filter: `profile.login eq "${this.login('cid')}"` }).then((c) => collect(c)));
    check('filter profile.login eq', !err && list.length === 1 && list[0].id === this.c.id, err);
    [list, err] = await attempt(this.users.listUsers({ filter: 'status eq "STAGED"' }).then((c) => collect(c)));
    check('filter status eq STAGED', !err && [this.b.id, this.e.id].every((id) => list.some((x) => x.id === id)), err);
    [list, err] = await attempt(this.users.listUsers({ q: 'Fenna' }).then((c) => collect(c)));
    check('q=firstName prefix', !err && list.some((x) => x.id === this.f.id), err);
    [list, err] = await attempt(this.users.listUsers({ search: 'profile.lastName eq "unterminated' }).then((c) => collect(c)));
    check('bad search -> 400 E0000031', err && err.status === 400 && err.errorCode === 'E0000031', err);

    [u, err] = await attempt(this.users.updateUser({ userId: this.a.id, user: { profile: { nickName: 'Countess' } } }));
    check('partial update (POST) merges the profile', !err && u.profile.nickName === 'Countess' && u.profile.firstName === 'Ada', err);
    const full = { firstName: 'Ada', lastName: this.surname, email: this.login('ada'), login: this.login('ada'), title: 'Lead' };
    [u, err] = await attempt(this.users.replaceUser({ userId: this.a.id, user: { profile: full } }));
    check('full update (PUT) replaces the profile', !err && u.profile.title === 'Lead' && u.profile.nickName === undefined, err);
  }

  // -------------------------------------------------------------- lifecycle
  async lifecycleSection() {
    let [tok, err] = await attempt(this.users.activateUser({ userId: this.b.id, sendEmail: false }));
    if (tok?.activationToken) secret(tok.activationToken);
    check('activate sendEmail=false returns activation URL and token', !err && Boolean(tok.activationUrl) && Boolean(tok.activationToken), err);
    let [u] = await this.getUser(this.b.id);
    check('activated user without password is PROVISIONED', u && u.status === 'PROVISIONED', u?.status);
    [tok, err] = await attempt(this.users.reactivateUser({ userId: this.b.id, sendEmail: false }));
    check('reactivate sendEmail=false', !err && Boolean(tok.activationUrl), err);

    [, err] = await attempt(this.users.suspendUser({ userId: this.d.id }));
    [u] = await this.getUser(this.d.id);
    check('suspend -> SUSPENDED', !err && u.status === 'SUSPENDED', err || u.status);
    [, err] = await attempt(this.users.unsuspendUser({ userId: this.d.id }));
    [u] = await this.getUser(this.d.id);
    check('unsuspend -> ACTIVE', !err && u.status === 'ACTIVE', err || u.status);
    [, err] = await attempt(this.users.deactivateUser({ userId: this.c.id, sendEmail: false }));
    [u] = await this.getUser(this.c.id);
    check('deactivate -> DEPROVISIONED', !err && u.status === 'DEPROVISIONED', err || u.status);
    [, err] = await attempt(this.users.activateUser({ userId: this.c.id, sendEmail: false }));
    [u] = await this.getUser(this.c.id);
    check('activate a DEPROVISIONED user', !err && ['PROVISIONED', 'ACTIVE'].includes(u.status), err || u.status);

    [u, err] = await attempt(this.users.expirePassword({ userId: this.d.id }));
    check('expirePassword -> PASSWORD_EXPIRED', !err && u.status === 'PASSWORD_EXPIRED', err);
    let [status, body] = await this.raw('POST', '/api/v1/authn', { username: this.login('dan'), password: secrets[1] });
    check('authn of an expired password -> PASSWORD_EXPIRED', status === 200 && body.status === 'PASSWORD_EXPIRED', [status, body]);
    const set = secret(`Osprey-${this.pw}-Marble3!`);
    [u, err] = await attempt(this.users.updateUser({ userId: this.d.id, user: { credentials: { password: { value: set } } } }));
    check('admin set password -> ACTIVE', !err && u.status === 'ACTIVE', err || u.status);
    [u, err] = await attempt(this.users.expirePasswordAndGetTemporaryPassword({ userId: this.d.id }));
    check('expirePasswordAndGetTemporaryPassword -> the user, PASSWORD_EXPIRED', !err && u.id === this.d.id && u.status === 'PASSWORD_EXPIRED', err || u);
    // The SDK's User type drops `tempPassword`; read the same answer whole.
    [status, body] = await this.raw('POST', `/api/v1/users/${this.d.id}/lifecycle/expire_password_with_temp_password`);
    if (body?.tempPassword) secret(body.tempPassword);
    check('the answer carries the temporary password', status === 200 && Boolean(body.tempPassword) && body.status === 'PASSWORD_EXPIRED', [status, body && body.status]);
    if (body?.tempPassword) {
      const [s2, b2] = await this.raw('POST', '/api/v1/authn', { username: this.login('dan'), password: body.tempPassword });
      check('authn with the temporary password -> PASSWORD_EXPIRED', s2 === 200 && b2.status === 'PASSWORD_EXPIRED', [s2, b2 && b2.status]);
    }

    const newPw = secret(`Falcon-${this.pw}-Cobalt5!`);
    let creds;
    [creds, err] = await attempt(this.users.changePassword({ userId: this.a.id, changePasswordRequest: { oldPassword: { value: this.pwA }, newPassword: { value: newPw } } }));
    check('changePassword', !err && creds?.provider?.type === 'OKTA', err);
    this.pwA = newPw;
    [, err] = await attempt(this.users.changePassword({ userId: this.a.id, changePasswordRequest: { oldPassword: { value: 'wrong-Old-1!' }, newPassword: { value: secret(`Egret-${this.pw}-Slate8!`) } } }));
    check('changePassword with a wrong old password -> 403 E0000014', err && err.status === 403 && err.errorCode === 'E0000014', err);
    [status, body] = await this.raw('POST', '/api/v1/authn', { username: this.login('ada'), password: this.pwA });
    check('authn -> SUCCESS', status === 200 && body.status === 'SUCCESS' && Boolean(body.sessionToken), [status, body]);

    let fp;
    [fp, err] = await attempt(this.users.forgotPassword({ userId: this.a.id, sendEmail: false }));
    if (fp?.resetPasswordUrl) secret(fp.resetPasswordUrl.split('/').pop());
    check('forgotPassword sendEmail=false -> resetPasswordUrl', !err && Boolean(fp?.resetPasswordUrl), err);
    [u] = await this.getUser(this.a.id);
    check('forgotPassword leaves the user ACTIVE', u.status === 'ACTIVE', u.status);
    if (fp?.resetPasswordUrl) {
      const pw = secret(`Avocet-${this.pw}-Umber6!`);
      [status, body] = await this.raw('POST', fp.resetPasswordUrl, { newPassword: pw });
      check('the forgot-password link sets a new password', status === 200 && body.status === 'ACTIVE', [status, body]);
      this.pwA = pw;
    }

    [tok, err] = await attempt(this.users.generateResetPasswordToken({ userId: this.a.id, sendEmail: false }));
    if (tok?.resetPasswordUrl) secret(tok.resetPasswordUrl.split('/').pop());
    check('reset_password sendEmail=false -> resetPasswordUrl', !err && Boolean(tok.resetPasswordUrl), err);
    [u] = await this.getUser(this.a.id);
    check('reset_password puts the user in RECOVERY', u.status === 'RECOVERY', u.status);
    if (tok?.resetPasswordUrl) {
      const pw = secret(`Plover-${this.pw}-Amber4!`);
      [status, body] = await this.raw('POST', tok.resetPasswordUrl, { newPassword: pw });
      check('the reset link sets a new password -> ACTIVE', status === 200 && body.status === 'ACTIVE', [status, body]);
      this.pwA = pw;
    }

    [, err] = await attempt(this.users.updateUser({ userId: this.f.id, user: { credentials: { password: { value: secret(`Wren-${this.pw}-Basalt6!`) } } } }));
    const causes = (err?.errorCauses || []).map((c) => c.errorSummary).join(' ');
    check('password for a FEDERATION user -> 400 E0000001', err && err.status === 400 && err.errorCode === 'E0000001' && causes.includes('FEDERATION'), err);
    [status, body] = await this.raw('POST', `/api/v1/users/${this.f.id}/lifecycle/reset_password?sendEmail=false`, { credentials: { provider: { type: 'OKTA', name: 'OKTA' } } });
    check('reset_password with provider OKTA body converts the user', status === 200 && Boolean(body.resetPasswordUrl), [status, body]);
    if (body?.resetPasswordUrl) secret(body.resetPasswordUrl.split('/').pop());
    [u] = await this.getUser(this.f.id);
    check('the converted user is OKTA and in RECOVERY', u.credentials?.provider?.type === 'OKTA' && u.status === 'RECOVERY', [u.credentials, u.status]);
    if (body?.resetPasswordUrl) {
      const pw = secret(`Linnet-${this.pw}-Ochre2!`);
      [status] = await this.raw('POST', body.resetPasswordUrl, { newPassword: pw });
      const [s2, b2] = await this.raw('POST', '/api/v1/authn', { username: this.login('fed'), password: pw });
      check('the converted user sets a password and authenticates', status === 200 && s2 === 200 && b2.status === 'SUCCESS', [status, s2, b2]);
    }

    [, err] = await attempt(this.users.deleteUser({ userId: this.e.id }));
    [u] = await this.getUser(this.e.id);
    check('the first delete deactivates', !err && u && u.status === 'DEPROVISIONED', err || u?.status);
    [, err] = await attempt(this.users.deleteUser({ userId: this.e.id }));
    const [, gerr] = await this.getUser(this.e.id);
    check('the second delete removes the user', !err && gerr && gerr.status === 404, err || gerr);
  }

  // ---------------------------------------------------- groups and policies
  async groupsSection() {
    const groups = this.client.groupApi;
    const name = `sdk-node-${this.tag}`;
    let [g, err] = await attempt(groups.createGroup({ group: { profile: { name, description: 'made by the Node SDK' } } }));
    check('create group', !err && g.profile.name === name, err);
    if (!g) return;
    [g, err] = await attempt(groups.getGroup({ groupId: g.id }));
    check('get group', !err && g.profile.name === name, err);
    [g, err] = await attempt(groups.replaceGroup({ groupId: g.id, group: { profile: { name, description: 'renamed' } } }));
    check('replace group', !err && g.profile.description === 'renamed', err);
    let list;
    [list, err] = await attempt(groups.listGroups({ q: name }).then((c) => collect(c)));
    check('list groups q=', !err && list.some((x) => x.id === g.id), err);
    [list, err] = await attempt(groups.listGroups({ search: `profile.name eq "${name}"` }).then((c) => collect(c)));
    check('list groups search=', !err && list.length === 1 && list[0].id === g.id, err);
    for (const u of [this.a, this.b, this.d]) {
      [, err] = await attempt(groups.assignUserToGroup({ groupId: g.id, userId: u.id }));
      if (err) check('add member', false, err);
    }
    [list, err] = await attempt(groups.listGroupUsers({ groupId: g.id, limit: 2 }).then((c) => collect(c)));
    check('list members through pages of 2', !err && list.length === 3, err || list.length);
    [list, err] = await attempt(this.users.listUserGroups({ userId: this.a.id }).then((c) => collect(c)));
    check("a member's groups include the group", !err && list.some((x) => x.id === g.id), err);
    [, err] = await attempt(groups.unassignUserFromGroup({ groupId: g.id, userId: this.b.id }));
    [list] = await attempt(groups.listGroupUsers({ groupId: g.id }).then((c) => collect(c)));
    check('remove member', !err && list.length === 2, err);
    [, err] = await attempt(groups.deleteGroup({ groupId: g.id }));
    const [, gerr] = await attempt(groups.getGroup({ groupId: g.id }));
    check('delete group', !err && gerr && gerr.status === 404, err || gerr);
  }

  async policiesSection() {
    const policies = this.client.policyApi;
    let [list, err] = await attempt(policies.listPolicies({ type: 'PASSWORD' }).then((c) => collect(c)));
    check('list PASSWORD policies', !err && list.length >= 1, err);
    const def = (list || []).find((p) => p.system);
    check('the default policy is there', Boolean(def));
    const [lockGroup] = await attempt(this.client.groupApi.createGroup({ group: { profile: { name: `sdk-node-lockout-${this.tag}` } } }));
    const policy = {
      type: 'PASSWORD',
      name: `SDK node strict ${this.tag}`,
      description: 'three strikes',
      priority: 1,
      conditions: { people: { groups: { include: [lockGroup.id] } }, authProvider: { provider: 'OKTA' } },
      settings: {
        password: {
          complexity: { minLength: 10, minLowerCase: 1, minUpperCase: 1, minNumber: 1, minSymbol: 1, excludeUsername: true },
          age: { maxAgeDays: 0, expireWarnDays: 0, minAgeMinutes: 0, historyCount: 2 },
          lockout: { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: false },
        },
      },
    };
    let p;
    [p, err] = await attempt(policies.createPolicy({ policy }));
    check('create PASSWORD policy', !err && Boolean(p.id) && p.settings?.password?.lockout?.maxAttempts === 3, err);
    if (!p) return;
    policy.settings.password.complexity.minLength = 12;
    [p, err] = await attempt(policies.replacePolicy({ policyId: p.id, policy }));
    check('replace policy', !err && p.settings.password.complexity.minLength === 12, err);
    [, err] = await attempt(policies.deactivatePolicy({ policyId: p.id }));
    [p] = await attempt(policies.getPolicy({ policyId: p.id }));
    check('deactivate policy', !err && p.status === 'INACTIVE', err || p.status);
    [, err] = await attempt(policies.activatePolicy({ policyId: p.id }));
    [p] = await attempt(policies.getPolicy({ policyId: p.id }));
    check('activate policy', !err && p.status === 'ACTIVE', err || p.status);
    if (def) {
      [, err] = await attempt(policies.deletePolicy({ policyId: def.id }));
      check('the default policy cannot be deleted', err && err.status === 400, err);
    }

    // Lock a user out through failed authn calls, then unlock.
    const pw = secret(`Kestrel-${this.pw}-Ivory1!`);
    const [lou] = await this.createUser('lou', 'Lou', { password: pw });
    await attempt(this.client.groupApi.assignUserToGroup({ groupId: lockGroup.id, userId: lou.id }));
    for (let i = 0; i < 3; i += 1) {
      const [status, body] = await this.raw('POST', '/api/v1/authn', { username: this.login('lou'), password: `Wrong-${i}-Password!` });
      if (status !== 401 || body?.errorCode !== 'E0000004') check('failed authn -> 401 E0000004', false, [status, body]);
    }
    let [u] = await this.getUser(lou.id);
    check('three failed authns lock the user out', u.status === 'LOCKED_OUT', u.status);
    [, err] = await attempt(this.users.unlockUser({ userId: lou.id }));
    [u] = await this.getUser(lou.id);
    check('unlock -> ACTIVE', !err && u.status === 'ACTIVE', err || u.status);
    const [status, body] = await this.raw('POST', '/api/v1/authn', { username: this.login('lou'), password: pw });
    check('authn after unlock -> SUCCESS', status === 200 && body.status === 'SUCCESS', [status, body]);

    [, err] = await attempt(policies.deletePolicy({ policyId: p.id }));
    const [, gerr] = await attempt(policies.getPolicy({ policyId: p.id }));
    check('delete policy', !err && gerr && gerr.status === 404, err || gerr);
  }

  // ----------------------------------------------------------------- schema
  async schemaSection() {
    const schemas = this.client.schemaApi;
    let [s, err] = await attempt(schemas.getUserSchema({ schemaId: 'default' }));
    check('get the user profile schema', !err && Boolean(s.definitions?.base?.properties?.login), err);
    const attr = `costCenter${this.tag}`;
    const userSchema = { definitions: { custom: { id: '#custom', type: 'object', properties: { [attr]: { title: 'Cost center', type: 'string', maxLength: 10 } }, required: [] } } };
    [s, err] = await attempt(schemas.updateUserProfile({ schemaId: 'default', userSchema }));
    check('add a custom attribute', !err && Boolean(s.definitions?.custom?.properties?.[attr]), err);
    let u;
    [u, err] = await attempt(this.users.updateUser({ userId: this.a.id, user: { profile: { [attr]: 'CC-7' } } }));
    check('a user takes the custom attribute', !err && u.profile[attr] === 'CC-7', err);
  }

  // ------------------------------------------------------------------- logs
  async logsSection() {
    const logs = this.client.systemLogApi;
    const until = new Date(Date.now() + 1000).toISOString();
    const since = this.started.toISOString();
    const pages = [];
    const origFetch = this.client.requestExecutor.fetch.bind(this.client.requestExecutor);
    this.client.requestExecutor.fetch = (req) => {
      if (req.url.includes('/api/v1/logs')) pages.push(req.url);
      return origFetch(req);
    };
    const [events, err] = await attempt(logs.listLogEvents({ since, until, filter: 'eventType eq "user.lifecycle.create"', limit: 2 }).then((c) => collect(c)));
    this.client.requestExecutor.fetch = origFetch;
    check('System Log filter with limit=2 iterates', !err && events.length >= this.mine.length, err || events?.length);
    check('System Log paging went through more than one page', pages.length > 2, pages.length);
    check('every event matches the filter', (events || []).every((e) => e.eventType === 'user.lifecycle.create'));
    const targets = new Set((events || []).flatMap((e) => (e.target || []).map((t) => t.id)));
    check('every user creation is logged', this.mine.every((id) => targets.has(id)), targets.size);
    const uuids = (events || []).map((e) => e.uuid);
    check('no event twice across pages', new Set(uuids).size === uuids.length);
  }

  async run() {
    for (const section of ['usersSection', 'lifecycleSection', 'groupsSection', 'policiesSection', 'schemaSection', 'logsSection']) {
      try {
        await this[section]();
      } catch (e) {
        check(`${section} ran without an exception`, false, e);
        console.log(e.stack);
        if (section === 'usersSection') break;
      }
    }
  }
}

async function main() {
  const [base, token] = process.argv.slice(2);
  if (!base || !token) {
    console.error('usage: node node_sdk_test.mjs BASE_URL API_TOKEN');
    process.exit(2);
  }
  await new Run(base, token).run();
  if (process.env.ROSTER_SDK_SECRETS_FILE) {
    writeFileSync(process.env.ROSTER_SDK_SECRETS_FILE, `${secrets.join('\n')}\n`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
