// Shared by the console's browser tests: start Debian's Chromium through playwright-core,
// sign in, fail on any JavaScript dialog (an XSS payload that ran), take screenshots.
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH, "noop.js"));
const { chromium } = require("playwright-core");

export { assert };

export function env(name) {
  const value = process.env[name];
  assert.ok(value, `the test did not set ${name}`);
  return value;
}

export async function browser() {
  return chromium.launch({
    executablePath: env("ROSTER_TEST_CHROMIUM"),
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
  });
}

// A page that records every dialog (alert, confirm): `dialogs` must stay empty unless the test
// expects a confirm, in which case it accepts it.
export async function newPage(b, { width = 1280, height = 900, acceptConfirms = true } = {}) {
  const context = await b.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.dialogs = [];
  page.on("dialog", async (dialog) => {
    page.dialogs.push({ type: dialog.type(), message: dialog.message() });
    if (dialog.type() === "confirm" && acceptConfirms) await dialog.accept();
    else await dialog.dismiss();
  });
  page.consoleErrors = [];
  page.on("pageerror", (err) => page.consoleErrors.push(String(err)));
  page.on("console", (msg) => { if (msg.type() === "error") page.consoleErrors.push(msg.text()); });
  return page;
}

export async function signIn(page, url, username, password) {
  await page.goto(`${url}/admin/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/admin$/), page.click('button[type="submit"]')]);
}

export async function shot(page, name) {
  const dir = process.env.ROSTER_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// Run `body(browser)`; print its result as one JSON line; exit non-zero on any failure.
export async function main(body) {
  const b = await browser();
  try {
    const result = await body(b);
    console.log(JSON.stringify(result ?? {}));
  } catch (err) {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 1;
  } finally {
    await b.close();
  }
}
