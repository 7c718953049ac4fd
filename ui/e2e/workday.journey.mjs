// An agent's day on an External Client phone: sign in, log in, pause for
// lunch and come back, take a queue call, hold and resume it, hang up,
// disposition it, see the day's figures, log off.
import { apiAs, assert, base, checkA11y, launch, newPage, rig, rigAgent, shot, signIn, status, steps } from "./lib.mjs";

const browser = await launch();
const page = await newPage(browser);
const agent = page.getByRole("status", { name: "Agent status" });
const call = page.getByRole("region", { name: "Current call" });
const activity = page.getByRole("region", { name: "Most recent activity" });
try {
  await steps(page, [
    ["login page", async () => {
      await page.goto(base + "/");
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      // A figure for the closing notes, not a pass mark: timing belongs in benchmarks.
      const nav = await page.evaluate(() => JSON.stringify(performance.getEntriesByType("navigation")[0]));
      const { domInteractive, loadEventEnd } = JSON.parse(nav);
      console.log(`page: interactive after ${Math.round(domInteractive)} ms, loaded after ${Math.round(loadEventEnd)} ms`);
      await checkA11y(page, "login");
      await shot(page, "login");
    }],
    ["a wrong password is refused with the server's message", async () => {
      await signIn(page, "agent3", "not-the-password");
      await page.getByRole("alert").waitFor();
      assert.match(await page.getByRole("alert").innerText(), /\S/);
    }],
    ["sign in lands on the workspace, logged off", async () => {
      await signIn(page, "agent3");
      await status(page).waitFor();
      assert.match(await agent.innerText(), /Logged off/);
      assert.equal(await page.getByRole("button", { name: "Dial pad" }).count(), 0, "no dial pad while logged off");
    }],
    ["log in", async () => {
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByText("Available").waitFor();
      assert.equal((await rigAgent("203")).state, "idle");
      await checkA11y(page, "workspace idle");
      await shot(page, "workspace-idle");
    }],
    ["pause with a reason shows the reason and its timer", async () => {
      await page.getByRole("button", { name: "Pause", exact: true }).click();
      await page.getByRole("menuitem", { name: /Lunch/ }).click();
      await agent.getByText("Paused").waitFor();
      assert.match(await agent.innerText(), /Lunch/);
      const t1 = await page.getByLabel("Time in this state").innerText();
      await page.waitForTimeout(1500);
      const t2 = await page.getByLabel("Time in this state").innerText();
      assert.notEqual(t1, t2, "the pause timer runs");
      assert.equal(await page.getByRole("button", { name: "Dial pad" }).count(), 0, "no dial pad while paused");
      assert.equal((await rigAgent("203")).state, "paused");
      await checkA11y(page, "workspace paused");
      await shot(page, "workspace-paused");
    }],
    ["unpause", async () => {
      await page.getByRole("button", { name: "Unpause" }).click();
      await agent.getByText("Available").waitFor();
    }],
    ["a customer calls Sales and the call shows with its queue", async () => {
      await rig("/call", { did: "442079460600", from: "+441632960042" });
      await call.waitFor({ timeout: 20000 });
      await call.getByText("+441632960042").waitFor();
      await call.getByText(/Sales/).waitFor();
      await agent.getByText("On call").waitFor({ timeout: 10000 });
      await checkA11y(page, "workspace on call");
      await shot(page, "workspace-on-call");
    }],
    ["hold and resume", async () => {
      await page.getByRole("button", { name: "Hold" }).click();
      await page.getByRole("button", { name: "Resume" }).waitFor();
      await page.getByText("on hold").waitFor();
      await page.getByRole("button", { name: "Resume" }).click();
      await page.getByRole("button", { name: "Hold" }).waitFor();
    }],
    ["notes typed during the call are kept on the server, through a reload", async () => {
      const notes = page.getByRole("region", { name: "Call notes" });
      await notes.getByLabel("Notes").fill("Wants a quote by Friday");
      await notes.getByLabel("CRM tags").fill("quote, vip");
      await notes.getByLabel("CRM tags").blur();
      await notes.getByText("Saved", { exact: true }).waitFor();
      await page.reload();
      await call.getByText("+441632960042").waitFor();
      assert.equal(await notes.getByLabel("Notes").inputValue(), "Wants a quote by Friday");
      assert.equal(await notes.getByLabel("CRM tags").inputValue(), "quote, vip");
    }],
    ["mute and unmute", async () => {
      await page.getByRole("button", { name: "Mute" }).click();
      await page.getByRole("button", { name: "Unmute" }).waitFor();
      await page.getByRole("button", { name: "Unmute" }).click();
      await page.getByRole("button", { name: "Mute", exact: true }).waitFor();
    }],
    ["hang up leads to wrap-up with the queue's outcomes and the server's deadline", async () => {
      await page.getByRole("button", { name: "Hang up" }).click();
      await agent.getByText("Wrap-up").waitFor();
      const form = page.getByRole("form", { name: "Disposition" });
      await form.waitFor();
      await form.getByRole("timer", { name: "Wrap-up time left" }).waitFor();
      await checkA11y(page, "disposition");
      await shot(page, "disposition");
    }],
    ["disposition: category, outcome, and the notes and tags typed during the call", async () => {
      const form = page.getByRole("form", { name: "Disposition" });
      assert.equal(await form.getByLabel("Notes").inputValue(), "Wants a quote by Friday");
      assert.equal(await form.getByLabel("CRM tags").inputValue(), "quote, vip");
      await form.getByRole("radio", { name: "Success" }).check({ force: true });
      const outcome = form.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio").first();
      await outcome.check({ force: true });
      await form.getByRole("button", { name: "Submit disposition" }).click();
      await agent.getByText("Available").waitFor();
    }],
    ["the performance toolbar counts the call", async () => {
      const perf = page.getByRole("region", { name: "Today's performance" });
      // The figures follow the events: the call's end, then its disposition.
      await page.waitForFunction(() => {
        const t = document.querySelector('[aria-label="Today\'s performance"]')?.textContent ?? "";
        return /1\s*Calls/.test(t) && /1\s*Successful/.test(t);
      }, null, { timeout: 10000 }).catch(async () => {
        assert.fail(`performance toolbar: ${await perf.innerText()}`);
      });
    }],
    ["the activity list shows the call with its disposition, notes and tags", async () => {
      const row = activity.getByRole("row").filter({ hasText: "+441632960042" }).filter({ hasText: "Success" });
      await row.waitFor({ timeout: 10000 });
      const text = await row.innerText();
      assert.match(text, /Sales/);
      assert.match(text, /Success/);
      assert.match(text, /Wants a quote by Friday/);
      assert.match(text, /vip/);
      await checkA11y(page, "workspace with activity");
      await shot(page, "workspace-activity");
    }],
    ["a wrap-up that times out leaves an incomplete disposition, completed from the activity list", async () => {
      // The administrator shortens agent 3's wrap-up to 5 s.
      const admin = await apiAs("admin");
      const exts = await admin("GET", "/api/v1/extensions");
      const three = exts.items.find((e) => e.number === "203");
      await admin("PATCH", `/api/v1/extensions/${three.id}`, { agent: { wrapup_timeout_seconds: 5 } });
      await rig("/call", { did: "442079460600", from: "+441632960077" });
      await call.getByText("+441632960077").waitFor({ timeout: 20000 });
      await page.getByRole("button", { name: "Hang up" }).click();
      await page.getByRole("form", { name: "Disposition" }).waitFor();
      // Nobody submits: the server does, when the deadline passes.
      await agent.getByText("Available").waitFor({ timeout: 15000 });
      const complete = activity.getByRole("button", { name: "Complete the disposition of the call with +441632960077" });
      await complete.waitFor({ timeout: 10000 });
      await shot(page, "workspace-incomplete");
      await complete.click();
      const dialog = page.getByRole("dialog", { name: "Complete the disposition" });
      await dialog.getByRole("radio", { name: "Unsure" }).check({ force: true });
      await dialog.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio").first().check({ force: true });
      await dialog.getByRole("button", { name: "Submit disposition" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = activity.getByRole("row").filter({ hasText: "+441632960077" });
      await row.getByText(/Unsure/).waitFor({ timeout: 10000 });
      assert.equal(await complete.count(), 0);
    }],
    ["redial a number from the activity list", async () => {
      await activity.getByRole("button", { name: "Redial +441632960042" }).click();
      await call.getByText("+441632960042").waitFor({ timeout: 15000 });
      await page.getByText("Outside call out").waitFor();
      await call.getByText("calling…").waitFor({ state: "detached", timeout: 15000 });
      await page.getByRole("button", { name: "Hang up" }).click();
      await call.waitFor({ state: "detached", timeout: 10000 });
      await agent.getByText(/Available|Wrap-up/).waitFor();
    }],
    ["keyboard shortcuts are listed", async () => {
      await page.keyboard.press("?");
      await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
      await checkA11y(page, "shortcuts");
      await page.keyboard.press("Escape");
    }],
    ["log off", async () => {
      await page.getByRole("button", { name: "Log off" }).click();
      await agent.getByText("Logged off").waitFor();
      assert.equal((await rigAgent("203")).state, "logged_off");
    }],
  ]);
} finally {
  await browser.close();
}
