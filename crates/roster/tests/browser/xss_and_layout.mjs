// A profile value that is an XSS payload shows as text on every console page that shows it, and
// no dialog fires; the pages fit a phone's width. Env: ROSTER_URL, ADMIN_LOGIN, ADMIN_PASSWORD,
// USER_ID, PAYLOAD.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const payload = env("PAYLOAD");
  const userId = env("USER_ID");
  const seen = {};
  for (const [width, height, tag] of [[1280, 900, "desktop"], [390, 844, "phone"]]) {
    const page = await newPage(browser, { width, height });
    await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
    for (const [name, path] of [
      ["users", "/admin/users"],
      ["user", `/admin/users/${userId}`],
      ["logs", "/admin/logs"],
      ["dashboard", "/admin"],
    ]) {
      await page.goto(url + path);
      const text = await page.locator("main").innerText();
      seen[`${name}-${tag}`] = text.includes(payload);
      assert.equal(await page.locator("main img").count(), 0, `${path} rendered an <img>`);
      // Nothing wider than the viewport but tables, which scroll inside their own box.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${path} at ${width}px overflows the page by ${overflow}px`);
      await shot(page, `${name}-${tag}`);
    }
    assert.deepEqual(page.dialogs, [], "a dialog fired: the payload ran");
    assert.deepEqual(page.consoleErrors, [], "the console script or CSP reported errors");
  }
  assert.ok(seen["users-desktop"], "the users list shows the payload as text");
  assert.ok(seen["user-desktop"], "the user page shows the payload as text");
  assert.ok(seen["user-phone"], "the user page shows the payload as text on a phone");
  return { seen };
});
