// A preview campaign. Agent 3 (a softphone that answers at once) logs in
// and is shown the demo campaign's best lead with its fields and the
// script filled in, counting down to the dial. Dial now calls the lead
// through the simulated carrier, who answers; a webhook button posts the
// call to the rig's receiver, which verifies the signature; the agent
// hangs up and sets a callback at a chosen time. On the next lead the
// agent corrects the number and the call dials the corrected one; adds a
// new customer, who comes next; and skips a lead. Logged off, with the
// campaign on hold, the mappings say why no lead comes. Then the power
// campaign: agents 1 and 2, whose pages are their phones, log in; the
// dialler calls customers first and connects the two who answer, one to
// each page, which answers at once, with the lead and the script.
import { apiAs, assert, checkA11y, launch, newPage, rig, rigAgent, rigCarrier, rigURL, shot, signIn, status, steps, waitAgent } from "./lib.mjs";

const browser = await launch();
const page = await newPage(browser);
const agent = status(page);
const lead = page.getByRole("region", { name: "Campaign lead" });
const call = page.getByRole("region", { name: "Current call" });
const asAdmin = await apiAs("admin");

/** leadNamed finds a demo lead by name through the API. */
async function leadNamed(name) {
  const campaigns = await asAdmin("GET", "/api/v1/campaigns");
  const c = campaigns.items.find((x) => x.type === "preview");
  const leads = await asAdmin("GET", `/api/v1/leads?campaign_id=${c.id}`);
  return leads.items.find((l) => l.name === name);
}

/**
 * settledLead is the lead once the dialler has folded its call's end or
 * outcome into it: at its next round (a second at most), which may come
 * after the agent is shown the next lead.
 */
async function settledLead(name) {
  let l = await leadNamed(name);
  for (const deadline = Date.now() + 5000; l.status === "active" && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 200));
    l = await leadNamed(name);
  }
  return l;
}

try {
  await steps(page, [
    ["agent 3 logs in and is shown the best lead, counting down", async () => {
      // A minute's countdown: the steps below take their time.
      await rig("/campaign", { type: "preview", active: true, preview_seconds: 60 });
      // A webhook button to the rig's receiver, which checks signatures.
      const campaigns = await asAdmin("GET", "/api/v1/campaigns");
      const c = campaigns.items.find((x) => x.type === "preview");
      await asAdmin("PATCH", `/api/v1/campaigns/${c.id}`, {
        webhook_buttons: [{ label: "Open CRM ticket", url: `${rigURL}/hook`, body: '{"lead":"{{lead_id}}","name":"{{name}}","call":"{{call_id}}"}' }],
      });
      await signIn(page, "agent3");
      await page.getByRole("button", { name: "Log in" }).click();
      await lead.waitFor({ timeout: 15000 });
      await lead.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
      await agent.getByText("Preview").waitFor();
      await lead.getByText("Policy number").waitFor();
      const script = lead.getByRole("region", { name: "Script" });
      await script.getByText(/may I speak to Ada Lovelace\? This is Cal Agent/).waitFor();
      await script.getByText(/policy HP-10421/).waitFor();
      await lead.getByRole("timer", { name: "Dialling in" }).waitFor();
      await checkA11y(page, "campaign preview");
      await shot(page, "campaign-preview");
    }],
    ["Dial now calls the lead, who answers", async () => {
      await lead.getByRole("button", { name: "Dial now" }).click();
      await agent.getByText("On call").waitFor({ timeout: 20000 });
      await call.waitFor();
      await waitAgent("203", "on_call");
      // The script stays on screen during the call.
      await lead.getByRole("region", { name: "Script" }).waitFor();
      const ada = await leadNamed("Ada Lovelace");
      assert.equal(ada.attempts, 1, "the attempt is counted");
      // The carrier's customer answers after ringing a while.
      const deadline = Date.now() + 20000;
      while ((await rigCarrier()).active < 1) {
        assert.ok(Date.now() < deadline, "the customer never answered");
        await new Promise((r) => setTimeout(r, 200));
      }
      await shot(page, "campaign-call");
    }],
    ["a webhook button sends the call to the CRM, signed", async () => {
      await lead.getByRole("button", { name: "Open CRM ticket" }).click();
      await lead.getByRole("status", { name: "Webhook result" }).getByText(/Open CRM ticket: done, 200 .*T-1001/).waitFor();
      const got = await (await fetch(`${rigURL}/hook`)).json();
      assert.equal(got.length, 1);
      assert.equal(got[0].verified, "verified", "the receiver verifies the signature");
      const body = JSON.parse(got[0].body);
      assert.equal(body.name, "Ada Lovelace");
      assert.ok(body.call.startsWith("cf-dl-"), "the body names the call");
    }],
    ["the agent hangs up and sets a callback at a chosen time", async () => {
      await call.getByRole("button", { name: "Hang up" }).click();
      const form = page.getByRole("form", { name: "Disposition" });
      await form.waitFor();
      await form.getByRole("radio", { name: "Unsure" }).check({ force: true });
      await form.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio", { name: "Call back later" }).check({ force: true });
      const when = form.getByLabel("Call back at");
      await when.waitFor();
      const at = new Date(Date.now() + 2 * 24 * 3600 * 1000);
      at.setHours(10, 30, 0, 0);
      const p = (n) => String(n).padStart(2, "0");
      await when.fill(`${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T10:30`);
      await checkA11y(page, "campaign disposition");
      await shot(page, "campaign-disposition");
      await form.getByRole("button", { name: "Submit disposition" }).click();
      // The next lead is shown.
      await lead.getByRole("heading", { name: "Grace Hopper" }).waitFor({ timeout: 15000 });
      const ada = await settledLead("Ada Lovelace");
      assert.equal(ada.status, "callback");
      assert.equal(ada.last_result, "Call back later");
      assert.equal(new Date(ada.next_at).getTime(), at.getTime(), "the callback is at the time chosen");
      assert.ok(ada.callback_extension_id, "the callback is kept for the agent");
    }],
    ["Edit customer: a corrected number is the one dialled", async () => {
      await lead.getByRole("button", { name: "Edit customer" }).click();
      const dialog = page.getByRole("dialog", { name: "Edit customer" });
      await dialog.getByLabel("Number 1", { exact: true }).fill("07700 900444");
      await shot(page, "campaign-edit-customer");
      await dialog.getByRole("button", { name: "Save" }).click();
      await dialog.waitFor({ state: "detached" });
      await lead.getByText("+447700900444").waitFor();
      await lead.getByRole("button", { name: "Dial now" }).click();
      await call.getByText("+447700900444").waitFor({ timeout: 15000 });
      // The agent gives up before the customer answers: no wrap-up, and
      // the lead is tried again later.
      await call.getByRole("button", { name: "Hang up" }).click();
      await lead.getByRole("heading", { name: "Alan Turing" }).waitFor({ timeout: 15000 });
      const grace = await settledLead("Grace Hopper");
      assert.equal(grace.numbers[0].number, "+447700900444");
      assert.equal(grace.status, "retry");
    }],
    ["Add a new customer: shown to the agent next", async () => {
      await lead.getByRole("button", { name: "Add new customer" }).click();
      const dialog = page.getByRole("dialog", { name: "Add a new customer" });
      await dialog.getByLabel("Name").fill("Neil Armstrong");
      await dialog.getByLabel("Number 1", { exact: true }).fill("020 7946 0443");
      await dialog.getByRole("button", { name: "Add number" }).click();
      await dialog.getByLabel("Number 2", { exact: true }).fill("07700 900443");
      await dialog.getByLabel("Policy number").fill("HP-20001");
      await checkA11y(page, "add customer");
      await dialog.getByRole("button", { name: "Add customer" }).click();
      await dialog.waitFor({ state: "detached" });
      const neil = await leadNamed("Neil Armstrong");
      assert.deepEqual(neil.numbers.map((n) => n.number), ["+442079460443", "+447700900443"]);
    }],
    ["Skip passes over a lead, with no attempt counted; the new customer is next", async () => {
      await lead.getByRole("button", { name: "Skip" }).click();
      await lead.getByRole("heading", { name: "Neil Armstrong" }).waitFor({ timeout: 15000 });
      const alan = await leadNamed("Alan Turing");
      assert.equal(alan.status, "new");
      assert.equal(alan.attempts, 0);
    }],
    ["the mappings say why no lead comes", async () => {
      await page.getByRole("button", { name: "Log off" }).click();
      await agent.getByText("Logged off").waitFor();
      await rig("/campaign", { active: false });
      await page.getByRole("button", { name: "Mappings" }).click();
      const dialog = page.getByRole("dialog", { name: /Mappings/ });
      await dialog.getByRole("region", { name: "You" }).getByText(/Logged off/).waitFor();
      await dialog.getByRole("region", { name: "Queues" }).getByText(/Sales \(600\)/).waitFor();
      const campaigns = dialog.getByRole("region", { name: "Campaigns" });
      await campaigns.getByText("Home insurance renewals").waitFor();
      await campaigns.getByText("The campaign is on hold.").waitFor();
      await checkA11y(page, "mappings");
      await shot(page, "workspace-mappings");
      await dialog.getByRole("button", { name: "Close" }).click();
    }],
    ["a power campaign connects the customers who answer to two agents' pages", async () => {
      const pages = [];
      for (const [name, ext] of [["agent1", "201"], ["agent2", "202"]]) {
        const p = await newPage(browser);
        await signIn(p, name);
        await p.getByRole("button", { name: "Log in" }).click();
        await waitAgent(ext, "idle");
        // The dialler counts an agent only once their phone (the page)
        // is registered.
        const deadline = Date.now() + 15000;
        while (!(await rigAgent(ext)).phone_ready) {
          assert.ok(Date.now() < deadline, `agent ${ext}'s page phone never registered`);
          await new Promise((r) => setTimeout(r, 200));
        }
        pages.push(p);
      }
      await rig("/campaign", { type: "power", active: true });
      for (const p of pages) {
        await status(p).getByText("On call").waitFor({ timeout: 30000 });
        const panel = p.getByRole("region", { name: "Campaign lead" });
        await panel.getByText("Broadband win-back").waitFor();
        await panel.getByRole("region", { name: "Script" }).getByText(/from Callfloor Demo Broadband/).waitFor();
        await panel.getByText("Account number").waitFor();
      }
      await waitAgent("201", "on_call");
      await waitAgent("202", "on_call");
      assert.ok((await rigCarrier()).active >= 2, "the carrier has both customers on the line");
      const stats = (await asAdmin("GET", "/api/v1/campaigns/stats")).items.find((c) => c.type === "power");
      assert.ok(stats.connected >= 2, `two calls connected, stats ${JSON.stringify(stats)}`);
      assert.equal(stats.abandoned, 0, "no call abandoned");
      assert.ok(stats.pacing && stats.pacing.ratio >= 1, "the pacing is shown");
      await checkA11y(pages[0], "power campaign call");
      await shot(pages[0], "campaign-power-call");
      // On hold again: the agents finish their calls and get no more.
      await rig("/campaign", { type: "power", active: false });
      for (const p of pages) {
        await p.getByRole("region", { name: "Current call" }).getByRole("button", { name: "Hang up" }).click();
        const form = p.getByRole("form", { name: "Disposition" });
        await form.waitFor();
        await form.getByRole("radio", { name: "Success" }).check({ force: true });
        await form.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio", { name: "Came back" }).check({ force: true });
        await form.getByRole("button", { name: "Submit disposition" }).click();
        await form.waitFor({ state: "detached" });
      }
      await waitAgent("201", "idle");
      await waitAgent("202", "idle");
    }],
  ]);
} finally {
  await browser.close();
}
