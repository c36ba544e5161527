// Seed 001, the spoke's side: the admin opens the app's open tasks, reads what failed, presses
// Retry, and sees the task turn DONE. Env: ROSTER_URL, ADMIN_LOGIN, ADMIN_PASSWORD, APP_ID,
// TASK_ID.
import { assert, env, main, newPage, shot, signIn } from "./lib.mjs";

await main(async (browser) => {
  const url = env("ROSTER_URL");
  const taskId = env("TASK_ID");
  const page = await newPage(browser);
  await signIn(page, url, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  const dashboard = await page.locator("main").innerText();
  assert.match(dashboard, /Hub org/, "the dashboard lists the app with an open task");
  await shot(page, "seed001-spoke-dashboard");
  await page.goto(`${url}/admin/tasks?appId=${env("APP_ID")}&status=OPEN`);
  const list = await page.locator("main").innerText();
  assert.match(list, /FEDERATION|identity provider/i, "the task says the hub user is federated");
  await shot(page, "seed001-spoke-tasks");
  await page.goto(`${url}/admin/tasks/${taskId}`);
  await page.click('button:has-text("Retry")');
  // The task page follows the retry until the worker is done.
  let text = "";
  for (let i = 0; i < 60; i++) {
    await page.goto(`${url}/admin/tasks/${taskId}`);
    text = await page.locator("main").innerText();
    if (/\bDONE\b/.test(text)) break;
    await page.waitForTimeout(500);
  }
  assert.match(text, /\bDONE\b/, "the retried task turned DONE");
  await shot(page, "seed001-spoke-task-done");
  return { done: true };
});
