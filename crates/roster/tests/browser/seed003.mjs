// Seed 003 in the console: turning provisioning off under a live Group Push mapping is refused
// with the mapping listed; "deactivate them too" goes through. Env: ROSTER_URL, ADMIN_LOGIN,
// ADMIN_PASSWORD, APP_ID, GROUP_NAME.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const app = env("APP_ID");
  const page = await newPage(browser);
  await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await page.goto(`${url}/admin/apps/${app}/provisioning`);
  await Promise.all([page.waitForLoadState("load"), page.click('button:has-text("Turn provisioning off")')]);
  const refusal = page.locator("section.alert.warn");
  await refusal.waitFor();
  const text = await refusal.innerText();
  assert.match(text, /would orphan 1 live Group Push mapping/);
  assert.ok(text.includes(env("GROUP_NAME")), "the mapping's group is listed");
  await shot(page, "seed003-refused");
  await Promise.all([
    page.waitForLoadState("load"),
    page.click('button:has-text("Turn provisioning off and deactivate these mappings too")'),
  ]);
  const after = await page.locator("main").innerText();
  assert.doesNotMatch(after, /would orphan/);
  await page.goto(`${url}/admin/apps/${app}/push-groups`);
  const groups = await page.locator("main").innerText();
  assert.match(groups, /INACTIVE/, "the mapping is INACTIVE");
  await shot(page, "seed003-push-groups-inactive");
  return { done: true };
});
