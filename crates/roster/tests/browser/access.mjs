// Access in a real browser: a READ_ONLY_ADMIN sees no write controls and a write without the
// CSRF token is refused; signing out ends the session. Env: ROSTER_URL, ADMIN_LOGIN,
// ADMIN_PASSWORD, RO_LOGIN, RO_PASSWORD, USER_ID.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const userId = env("USER_ID");
  const ro = await newPage(browser);
  await signIn(ro, url, env("RO_LOGIN"), env("RO_PASSWORD"));
  await ro.goto(`${url}/admin/users/${userId}`);
  assert.equal(await ro.locator('form[action*="/lifecycle/"]').count(), 0, "no lifecycle buttons");
  await shot(ro, "read-only-user");
  // A forged write from the page itself, with the session cookie but without the token.
  const forged = await ro.evaluate(async (path) => {
    const r = await fetch(path, { method: "POST", body: new URLSearchParams({}), credentials: "same-origin" });
    return r.status;
  }, `/admin/users/${userId}/lifecycle/suspend`);
  assert.equal(forged, 403);

  const admin = await newPage(browser);
  await signIn(admin, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  const noToken = await admin.evaluate(async (path) => {
    const r = await fetch(path, { method: "POST", body: new URLSearchParams({}), credentials: "same-origin" });
    return r.status;
  }, `/admin/users/${userId}/lifecycle/suspend`);
  assert.equal(noToken, 403, "a POST without the CSRF token is refused");
  await admin.click("#sign-out");
  await admin.waitForSelector('input[name="username"]');
  await admin.goto(`${url}/admin/users`);
  assert.match(admin.url(), /\/admin\/login\?next=/, "signed out: back to the sign-in page");
  return { forged, noToken };
});
