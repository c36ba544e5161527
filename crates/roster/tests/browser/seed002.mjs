// Seed 002 in the console: the transformation preview shows John failing the target's password
// policy; adding concatString to the password mapping and saving makes the preview pass; Retry all
// on the app's tasks pushes him. Env: ROSTER_URL, ADMIN_LOGIN, ADMIN_PASSWORD, APP_ID.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const app = env("APP_ID");
  const page = await newPage(browser);
  await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await page.goto(`${url}/admin/apps/${app}/transformations`);
  await page.check('input[name="selection"][value="assigned"]');
  await page.click('button.btn.primary:has-text("Run preview")');
  await page.waitForSelector(".preview-summary");
  let text = await page.locator("main").innerText();
  assert.match(text, /1 user would fail/, "John fails the preview");
  assert.match(text, /john\.doe@example\.com/);
  assert.match(text, /at least 8 characters/, "the unmet requirement is named");
  assert.doesNotMatch(text, /"password": "John"/, "the password is redacted");
  assert.match(text, /\[REDACTED\]/);
  await shot(page, "seed002-preview-failing");

  // The seed's fix: a suffix on the password mapping.
  const doc = JSON.parse(await page.inputValue("#document"));
  const mapping = doc.user.mappings.find((m) => m.targetPath === "$.password");
  mapping.functions = [{ type: "concatString", suffix: "7811!" }];
  await page.fill("#document", JSON.stringify(doc, null, 2));
  await Promise.all([page.waitForLoadState("load"), page.click('button:has-text("Save transformation")')]);
  text = await page.locator("main").innerText();
  assert.doesNotMatch(text, /E0000001/, "the document was saved");
  await page.check('input[name="selection"][value="assigned"]');
  await page.click('button.btn.primary:has-text("Run preview")');
  await page.waitForSelector(".preview-summary");
  text = await page.locator("main").innerText();
  assert.match(text, /No user would fail/, "the preview passes after the fix");
  await shot(page, "seed002-preview-passing");

  await page.goto(`${url}/admin/tasks?appId=${app}&status=OPEN`);
  await page.click('button:has-text("Retry all open tasks of this app")');
  // Retrying tasks leave the OPEN list; wait until none is left.
  let left = -1;
  for (let i = 0; i < 60; i++) {
    await page.goto(`${url}/admin/tasks?appId=${app}&status=OPEN`);
    left = await page.locator("article.task").count();
    if (left === 0) break;
    await page.waitForTimeout(500);
  }
  assert.equal(left, 0, "no open task is left");
  await shot(page, "seed002-tasks-after-retry-all");
  assert.ok(page.dialogs.some((d) => d.type === "confirm"), "Retry all asked first");
  return { done: true };
});
