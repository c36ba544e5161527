// Seed 001 by email: Chromium opens the reset link from the mail the hub sent, is shown the hub's
// requirements, is refused a weak password, sets a good one, and signs in at /login.
// Env: ROSTER_URL, LINK (from the mail), LOGIN, WEAK, GOOD.
import { assert, env, main, newPage, shot } from "./lib.mjs";

async function setPassword(page, password) {
  await page.fill("#newPassword", password);
  await page.fill("#confirmPassword", password);
  await Promise.all([page.waitForLoadState("load"), page.click('button:has-text("Set password")')]);
  return page.locator("main").innerText();
}

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const page = await newPage(browser);
  await page.goto(env("LINK"));
  const requirements = await page.locator("#requirements").innerText();
  assert.match(requirements, /at least 10 characters/, "the hub's requirements are shown");
  assert.match(requirements, /no parts of your username/);
  await shot(page, "seed001-mail-reset-form");

  // Typing marks each requirement the page can check: the weak one leaves some unmet, the good
  // one meets them all.
  await page.fill("#newPassword", env("WEAK"));
  const unmet = await page.locator("#requirements li.unmet").count();
  assert.ok(unmet > 0, "a weak password leaves requirements unmet as it is typed");
  await shot(page, "seed001-mail-typing-weak");
  await page.fill("#newPassword", env("GOOD"));
  assert.equal(await page.locator("#requirements li.unmet").count(), 0, "the good password meets every rule");
  assert.ok((await page.locator("#requirements li.met").count()) >= 3);

  const refused = await setPassword(page, env("WEAK"));
  assert.match(refused, /Password requirements were not met/, "the weak password is refused");
  await shot(page, "seed001-mail-weak-refused");

  // The refusal shows the form again, for the same link.
  const done = await setPassword(page, env("GOOD"));
  assert.match(done, /Your password is set/, "the good password is set");

  await page.goto(`${url}/login`);
  await page.fill('input[name="username"]', env("LOGIN"));
  await page.fill('input[name="password"]', env("GOOD"));
  await Promise.all([page.waitForURL(/\/app$/), page.click('button:has-text("Sign in")')]);
  const app = await page.locator("main").innerText();
  assert.match(app, /Hello, Carol/, "signed in at /login");
  await shot(page, "seed001-mail-signed-in");
  assert.deepEqual(page.dialogs, []);
  // The refused password is answered 400, which Chromium logs; nothing else may be.
  const errors = page.consoleErrors.filter((e) => !/status of 400/.test(e));
  assert.deepEqual(errors, []);
  return { signedIn: true };
});
