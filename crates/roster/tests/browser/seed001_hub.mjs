// Seed 001, the hub's side: the admin finds the FEDERATION user, resets the password converting
// the user to OKTA credentials, and copies the one-time link. Env: ROSTER_URL, ADMIN_LOGIN,
// ADMIN_PASSWORD, LOGIN (the hub user's login).
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const page = await newPage(browser);
  await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await page.goto(`${url}/admin/users`);
  await page.fill("#q", env("LOGIN"));
  await Promise.all([page.waitForURL(/q=/), page.click('button:has-text("Search")')]);
  await Promise.all([page.waitForURL(/\/admin\/users\/00u/), page.click(`a:has-text("Carol")`)]);
  const body = await page.locator("main").innerText();
  assert.match(body, /FEDERATION/, "the page says where the credentials come from");
  await shot(page, "seed001-hub-user-federated");
  await page.click('button:has-text("Reset password and convert to OKTA credentials")');
  await page.waitForSelector("#one-time-link");
  const link = await page.inputValue("#one-time-link");
  assert.match(link, /\/reset_password\//);
  await page.click('button[data-copy="one-time-link"]');
  await page.waitForSelector('button[data-copy="one-time-link"]:has-text("Copied")');
  const after = await page.locator("main").innerText();
  assert.match(after, /RECOVERY/, "the user is in RECOVERY until a password is set");
  assert.match(after, /credentials OKTA/, "the user now has OKTA credentials");
  await shot(page, "seed001-hub-reset-link");
  assert.deepEqual(page.dialogs, []);
  return { link };
});
