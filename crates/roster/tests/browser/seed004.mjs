// Seed 004 in the console: the saved query lists the refused profile-source updates; expanding
// an event shows ErrorCode and ErrorField. Env: ROSTER_URL, ADMIN_LOGIN, ADMIN_PASSWORD.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const page = await newPage(browser);
  await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await page.goto(`${url}/admin/logs`);
  await Promise.all([
    page.waitForURL(/update_from_master_failed/),
    page.click('a.chip:has-text("Profile source updates rejected")'),
  ]);
  const events = page.locator("details.event");
  const count = await events.count();
  assert.ok(count > 0, "the query lists events");
  const codes = [];
  for (let i = 0; i < count; i++) {
    const e = events.nth(i);
    await e.locator("summary").click();
    const body = await e.innerText();
    assert.match(body, /ErrorCode/);
    assert.match(body, /ErrorField/);
    const code = body.match(/ErrorCode\s+(\S+)/);
    if (code) codes.push(code[1]);
  }
  await shot(page, "seed004-log-expanded");
  return { count, codes };
});
