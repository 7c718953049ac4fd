// Calls beyond the first: a second line and switching between lines, a
// conference, transfers (blind, and attended with Cancel and with
// Confirm), the stream cut and restored, and a supervisor's force logoff.
import { apiAs, assert, checkA11y, launch, newPage, rig, shot, signIn, status, steps, waitAgent } from "./lib.mjs";

const browser = await launch();
const page = await newPage(browser);
const agent = status(page);
const call = page.getByRole("region", { name: "Current call" });
const lines = page.getByRole("navigation", { name: "Lines" });
const asAgent4 = await apiAs("agent4");
const asSuper = await apiAs("super");

/** customer has the carrier call Sales from number and waits for the agent's call to show it. */
async function customer(number) {
  await rig("/call", { did: "442079460600", from: number });
  await call.getByText(number).waitFor({ timeout: 20000 });
  await agent.getByText("On call").waitFor();
}

/** finish hangs up what is left and submits a quick disposition, so the agent is available again. */
async function finish() {
  while ((await page.getByRole("button", { name: "Hang up" }).count()) > 0) {
    await page.getByRole("button", { name: "Hang up" }).first().click();
    await page.waitForTimeout(300);
  }
  await dispose();
}

async function dispose() {
  const form = page.getByRole("form", { name: "Disposition" });
  while (await form.isVisible().catch(() => false)) {
    await form.getByRole("radio", { name: "Success" }).check({ force: true });
    await form.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio").first().check({ force: true });
    await form.getByRole("button", { name: "Submit disposition" }).click();
    await page.waitForTimeout(500);
  }
  await agent.getByText("Available").waitFor();
}

try {
  await steps(page, [
    ["agents 3 and 4 log in", async () => {
      await signIn(page, "agent3");
      await page.getByRole("button", { name: "Log in" }).click();
      await agent.getByText("Available").waitFor();
      await asAgent4("POST", "/api/v1/floor/me/login");
    }],
    ["a second line, and switching between the lines", async () => {
      await customer("+441632960101");
      await page.getByRole("button", { name: "Add line" }).click();
      const dialog = page.getByRole("dialog", { name: "New line" });
      await dialog.getByLabel("Number or name").fill("204");
      await page.getByRole("option", { name: /Agent 4/ }).click();
      await dialog.getByRole("button", { name: "Call" }).click();
      await lines.waitFor();
      await lines.getByRole("button", { name: /Line 2: 204, active/ }).waitFor({ timeout: 15000 });
      await lines.getByRole("button", { name: /Line 1: \+441632960101, on hold/ }).waitFor();
      await checkA11y(page, "two lines");
      await shot(page, "workspace-two-lines");
      await lines.getByRole("button", { name: /Line 1/ }).click();
      await lines.getByRole("button", { name: /Line 1: \+441632960101, active/ }).waitFor();
      await lines.getByRole("button", { name: /Line 2: 204, on hold/ }).waitFor();
    }],
    ["conference the two lines", async () => {
      await page.getByRole("button", { name: "Conference" }).click();
      await lines.getByRole("button", { name: /Line 2: 204, active/ }).waitFor({ timeout: 10000 });
      await lines.getByRole("button", { name: /Line 1: \+441632960101, active/ }).waitFor();
      await finish();
      await asAgent4("GET", "/api/v1/floor/me").then(async (f) => {
        if (f.state === "wrapup") {
          const o = f.wrapup.outcomes[0];
          if (o) await asAgent4("POST", "/api/v1/floor/me/dispositions", { call_id: f.wrapup.call.id, category: o.category, outcome: o.name });
        }
      });
    }],
    ["blind transfer: Transfer Now hands the caller to agent 4", async () => {
      await customer("+441632960102");
      await page.getByRole("button", { name: "Transfer" }).click();
      const dialog = page.getByRole("dialog", { name: "Transfer" });
      await dialog.getByLabel("Transfer to").fill("204");
      // Pick the match, as a person does: the list of matches covers
      // the dialog's buttons until then.
      await page.getByRole("option", { name: /Agent 4/ }).click();
      await dialog.getByRole("button", { name: "Transfer Now" }).click();
      await call.waitFor({ state: "detached", timeout: 15000 });
      await waitAgent("204", "on_call");
      await dispose();
      await asAgent4("POST", "/api/v1/floor/me/calls/hangup", { call_id: (await asAgent4("GET", "/api/v1/floor/me")).lines[0].call.id });
    }],
    ["attended transfer, cancelled: the caller stays with the agent", async () => {
      await customer("+441632960103");
      await page.getByRole("button", { name: "Transfer" }).click();
      const dialog = page.getByRole("dialog", { name: "Transfer" });
      await dialog.getByLabel("Transfer to").fill("204");
      // Pick the match, as a person does: the list of matches covers
      // the dialog's buttons until then.
      await page.getByRole("option", { name: /Agent 4/ }).click();
      await dialog.getByRole("button", { name: "Call First" }).click();
      const consult = page.getByRole("group", { name: "Attended transfer" });
      await consult.waitFor({ timeout: 15000 });
      await shot(page, "workspace-attended-transfer");
      await consult.getByRole("button", { name: "Cancel transfer" }).click();
      await consult.waitFor({ state: "detached" });
      await lines.waitFor({ state: "detached" });
      await call.getByText("+441632960103").waitFor();
      await page.getByRole("button", { name: "Resume" }).click();
      await page.getByRole("button", { name: "Hold" }).waitFor();
    }],
    ["attended transfer, confirmed: the caller goes to agent 4", async () => {
      await page.getByRole("button", { name: "Transfer" }).click();
      const dialog = page.getByRole("dialog", { name: "Transfer" });
      await dialog.getByLabel("Transfer to").fill("204");
      // Pick the match, as a person does: the list of matches covers
      // the dialog's buttons until then.
      await page.getByRole("option", { name: /Agent 4/ }).click();
      await dialog.getByRole("button", { name: "Call First" }).click();
      const consult = page.getByRole("group", { name: "Attended transfer" });
      await consult.waitFor({ timeout: 15000 });
      await consult.getByRole("button", { name: "Confirm transfer" }).click();
      await call.waitFor({ state: "detached", timeout: 15000 });
      // Agent 4 keeps the consultation call, now with the caller; agent 3 has no call left.
      const four = await asAgent4("GET", "/api/v1/floor/me");
      assert.equal(four.lines.length, 1, JSON.stringify(four.lines));
      assert.equal(four.state, "on_call");
      await dispose();
      await asAgent4("POST", "/api/v1/floor/me/calls/hangup", { call_id: four.lines[0].call.id });
    }],
    ["the stream cut and restored: a banner, then the page catches up", async () => {
      await page.context().setOffline(true);
      await page.getByRole("alert").filter({ hasText: "Connection to the server lost" }).waitFor({ timeout: 45000 });
      await shot(page, "workspace-connection-lost");
      // Meanwhile the agent is paused from elsewhere (another session of theirs).
      const asAgent3 = await apiAs("agent3");
      const reasons = await asAgent3("GET", "/api/v1/pause-reasons");
      const lunch = reasons.items.find((r) => r.name === "Lunch");
      await asAgent3("POST", "/api/v1/floor/me/pause", { reason_id: lunch.id });
      await page.context().setOffline(false);
      await page.getByRole("button", { name: "Reconnect now" }).click().catch(() => {});
      await agent.getByText("Lunch").waitFor({ timeout: 20000 });
      assert.equal(await page.getByRole("alert").filter({ hasText: "Connection to the server lost" }).count(), 0);
      await page.getByRole("button", { name: "Unpause" }).click();
      await agent.getByText("Available").waitFor();
    }],
    ["a supervisor sees every agent live", async () => {
      const sup = await newPage(browser);
      await signIn(sup, "super");
      const board = sup.getByRole("table", { name: "Live agents" });
      await board.waitFor();
      const row = board.getByRole("row").filter({ hasText: "203" });
      await row.getByText("Available").waitFor();
      // Agent 3 pauses in the workspace: the board follows without a reload.
      await page.getByRole("button", { name: "Pause", exact: true }).click();
      await page.getByRole("menuitem", { name: /Lunch/ }).click();
      await row.getByText("Paused").waitFor({ timeout: 5000 });
      await row.getByText("Lunch").waitFor();
      await checkA11y(sup, "supervisor agents board");
      await shot(sup, "supervisor-agents");
      await page.getByRole("button", { name: "Unpause" }).click();
      await row.getByText("Available").waitFor({ timeout: 5000 });
      await sup.close();
    }],
    ["a supervisor's force logoff is shown to the agent", async () => {
      const board = await asSuper("GET", "/api/v1/floor/agents");
      const three = board.items.find((a) => a.number === "203");
      await asSuper("POST", `/api/v1/floor/agents/${three.extension_id}/logoff`);
      await agent.getByText("Logged off").waitFor();
      await page.getByText(/A supervisor logged you off/).waitFor();
      await shot(page, "workspace-forced-logoff");
    }],
    ["an administrator resets the agent's password: the page ends the session and says why", async () => {
      const admin = await apiAs("admin");
      const users = await admin("GET", "/api/v1/users");
      const three = users.items.find((u) => u.username === "agent3");
      await admin("POST", `/api/v1/users/${three.id}/password`, { password: "a brand new secret 2026" });
      await page.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 5000 });
      await page.getByText("An administrator set a new password for you: sign in again.").waitFor();
      await shot(page, "login-session-ended");
    }],
  ]);
} finally {
  await browser.close();
}
