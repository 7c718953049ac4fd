// What every journey shares: the browser, signing in, the rig that plays
// the telephony side, accessibility checks and screenshots. A journey is
// a plain Node program run by cmd/callfloor's TestBrowserJourneys, which
// starts the server and sets CALLFLOOR_URL, RIG_URL, CHROMIUM, SHOTS_DIR
// and DEMO_PASSWORD.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import path from "node:path";
import { chromium } from "playwright-core";

export const base = required("CALLFLOOR_URL");
export const rigURL = required("RIG_URL");
const shotsDir = required("SHOTS_DIR");
export const password = required("DEMO_PASSWORD");

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: journeys are run by go test ./cmd/callfloor -run TestBrowserJourneys`);
  return v;
}

/** launch starts Chromium as the rest of the suite expects it: headless, fake media, no network of its own. */
export async function launch() {
  return chromium.launch({
    executablePath: required("CHROMIUM"),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--allow-loopback-in-peer-connection",
      "--autoplay-policy=no-user-gesture-required",
      // The microphone plays the rig's tone file (beeps of MIC_TONE Hz).
      ...(process.env.FAKE_MIC ? [`--use-file-for-fake-audio-capture=${process.env.FAKE_MIC}`] : []),
    ],
  });
}

/** page opens a 1280x720 page that fails the journey on any page error. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => {
    console.error(`page error: ${e.message}`);
    process.exitCode = 1;
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (40[1349]|422)/.test(m.text())) console.error(`console error: ${m.text()}`);
  });
  return page;
}

export async function signIn(page, username, pass = password) {
  await page.goto(base + "/");
  await page.getByLabel("Account").fill("demo");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** status is the agent's status box, whose text says state, reason and time. */
export const status = (page) => page.getByRole("status", { name: "Agent status" });

/** rig asks the test rig to act on the telephony side. */
export async function rig(pathname, body) {
  const r = await fetch(rigURL + pathname, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`rig ${pathname}: ${r.status} ${await r.text()}`);
}

/** rigCarrier is what the simulated carrier's customers sent and received. */
export async function rigCarrier() {
  const r = await fetch(`${rigURL}/carrier`);
  return r.json();
}

/** rigIntegrator is what the rig's integrator endpoint received: each message's raw body and webhook-* headers. */
export async function rigIntegrator() {
  const r = await fetch(`${rigURL}/integrator`);
  return r.json();
}

/** rigMail is the rig's SMTP server: its host and port, and the messages it took (subject, text, attachments by name). */
export async function rigMail() {
  const r = await fetch(`${rigURL}/mail`);
  return r.json();
}

/** rigAgent is the floor's own view of an agent, straight from the server. */
export async function rigAgent(ext) {
  const r = await fetch(`${rigURL}/agent?ext=${ext}`);
  return r.json();
}

/** rigPhoneLevel is how loud freq is in the last second a rig phone received (heard at heard_level or above). */
export async function rigPhoneLevel(ext, freq) {
  const r = await fetch(`${rigURL}/phone?ext=${ext}&freq=${freq}`);
  if (!r.ok) return { level: 0, heard_level: 1, error: await r.text() };
  return r.json();
}

/** micTone is the frequency of the pages' fake microphone. */
export const micTone = Number(process.env.MIC_TONE ?? 0);

/** waitAgent waits until the floor has the agent in state (a phone answering takes a moment). */
export async function waitAgent(ext, state, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = (await rigAgent(ext)).state;
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`agent ${ext} is ${last}, not ${state}, after ${timeoutMs} ms`);
}

/** checkA11y fails the journey on any serious or critical axe violation of the screen. */
export async function checkA11y(page, screen) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  console.log(`axe ${screen}: ${result.violations.length} violations, ${bad.length} serious or critical`);
  for (const v of result.violations) {
    console.log(`  ${v.impact} ${v.id}: ${v.help}: ${v.nodes.map((n) => n.html).join(", ")}`);
  }
  assert.equal(bad.length, 0, `${screen}: serious or critical accessibility violations`);
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
}

/** steps runs the journey's steps in order, naming each; a failure saves a screenshot and ends the journey. */
export async function steps(page, list) {
  for (const [name, fn] of list) {
    const t0 = Date.now();
    try {
      await fn();
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      await page.screenshot({ path: path.join(shotsDir, `failed-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
      throw e;
    }
  }
}

export { assert };

/** apiAs signs a user in over the API and returns a function that calls the API as them. */
export async function apiAs(username) {
  const r = await fetch(base + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account: "demo", username, password }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  const { token } = await r.json();
  return async (method, pathname, body) => {
    const res = await fetch(base + pathname, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}
