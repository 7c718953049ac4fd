// A supervisor runs the floor from the boards. Agent 3 (a softphone that
// answers at once) pauses for a short break: the board shows the pause
// turning amber near its threshold and red past it. A customer calls
// Sales and agent 3 takes the call; the supervisor forces a log off from
// the row's actions: the call goes on, the board says the log off
// follows, and it does once the call is over and disposed of. "Why no
// calls" then says the agent is logged off; a campaign hold shows on the
// row. The queues board shows Sales' figures of the day, and pauses
// participant 210 in Sales alone; the
// campaigns board both demo campaigns with their leads. Time and
// attendance counts the same call as the board, its state times add up
// to the login time, and it exports as CSV. Then an
// administrator makes extension 205, sees its SIP secret once, enables
// its Agent tab (a wrap-up timeout out of range is refused next to its
// field) without the pause and manual-dial permissions; the new agent's
// workspace shows Log off, and neither Pause nor Dial. The administrator
// also makes the agent's user, and a pause reason (a code already taken
// is refused under its field). Last, the administrator sets the mail
// server (the rig's SMTP server), sends a test message, schedules a daily
// time and attendance report and sends it at once: it arrives with its
// CSV, one row per agent. Then an integrator's webhook endpoint (the
// rig's) for agent pauses and unpauses: its secret shown once, a test
// event, and agent 3's pause arrive, each verified with the Standard
// Webhooks reference library; the deliveries show each attempt.
import { Webhook } from "standardwebhooks";
import { apiAs, assert, base, checkA11y, launch, newPage, password, rig, rigCarrier, rigIntegrator, rigMail, rigURL, shot, signIn, status, steps, waitAgent } from "./lib.mjs";

const browser = await launch();
const page = await newPage(browser);
const asAdmin = await apiAs("admin");
const asAgent3 = await apiAs("agent3");
const board = page.getByRole("table", { name: "Live agents" });
const row = board.getByRole("row").filter({ hasText: "203" });

try {
  await steps(page, [
    ["the supervisor's boards open on the live agents, filtered by queue", async () => {
      await signIn(page, "super");
      await page.getByRole("tab", { name: "Agents", selected: true }).waitFor();
      await board.waitFor();
      await row.waitFor();
      const all = await board.getByRole("row").count();
      await page.getByLabel("Queue").selectOption({ label: "Support (601)" });
      await page.getByText(/ of \d+ agents/).waitFor();
      const filtered = await board.getByRole("row").count();
      assert.ok(filtered < all, `filtering by Support keeps ${filtered - 1} of ${all - 1} agents`);
      await page.getByLabel("Queue").selectOption({ label: "All queues" });
      // Sorting by agent, descending: 204 before 201.
      await board.getByRole("button", { name: "Agent", exact: true }).click();
      await board.getByRole("button", { name: "Agent", exact: true }).click();
      await board.getByRole("columnheader", { name: "Agent" }).and(page.locator("[aria-sort=descending]")).waitFor();
      const first = await board.getByRole("row").nth(1).getByRole("rowheader").textContent();
      assert.match(first, /204/, "sorted by number, descending");
      await checkA11y(page, "supervisor agents board");
    }],
    ["a pause turns amber near its threshold and red past it", async () => {
      const quick = await asAdmin("POST", "/api/v1/pause-reasons", { name: "Quick break", code: 9, threshold_seconds: 5 });
      await asAgent3("POST", "/api/v1/floor/me/login");
      await asAgent3("POST", "/api/v1/floor/me/pause", { reason_id: quick.id });
      await row.getByText("Quick break").waitFor();
      await row.getByText("(near the threshold)").waitFor({ timeout: 6000 });
      await shot(page, "supervisor-pause-near");
      await row.getByText("(past the threshold)").waitFor({ timeout: 6000 });
      await shot(page, "supervisor-pause-over");
      await asAgent3("POST", "/api/v1/floor/me/unpause");
      await waitAgent("203", "idle");
    }],
    ["force log off during a call: the call goes on, the log off follows it", async () => {
      await rig("/call", { did: "442079460600", from: "+441632960042" });
      await waitAgent("203", "on_call", 20000);
      await row.getByText("+441632960042").waitFor();
      await row.getByText("Sales").waitFor();
      await row.getByRole("button", { name: /Actions for/ }).click();
      await page.getByRole("menuitem", { name: /Force log off/ }).click();
      await row.getByText("logs off after the call").waitFor();
      await waitAgent("203", "on_call");
      assert.equal((await rigCarrier()).active, 1, "the customer is still on the line");
      await shot(page, "supervisor-logoff-pending");
      await rig("/phone", { ext: "203", do: "hangup" });
      await waitAgent("203", "wrapup");
      const me = await asAgent3("GET", "/api/v1/floor/me");
      await asAgent3("POST", "/api/v1/floor/me/dispositions", {
        call_id: me.wrapup.call.id,
        category: "success",
        outcome: me.wrapup.outcomes.find((o) => o.category === "success").name,
      });
      await waitAgent("203", "logged_off");
      await row.getByText("Logged off").waitFor();
      await row.getByRole("cell").filter({ hasText: /^1$/ }).first().waitFor(); // one call today
    }],
    ["why no calls, and a campaign hold, from the row's actions", async () => {
      await row.getByRole("button", { name: /Actions for/ }).click();
      await page.getByRole("menuitem", { name: "Why no calls" }).click();
      const dialog = page.getByRole("dialog", { name: /Why no calls: Agent 3/ });
      await dialog.getByRole("region", { name: "The agent" }).getByText(/logged off/i).waitFor();
      await dialog.getByRole("region", { name: "Campaigns" }).getByText("Home insurance renewals").waitFor();
      await checkA11y(page, "why no calls");
      await shot(page, "supervisor-why-no-calls");
      await dialog.getByRole("button", { name: "Close" }).click();
      await row.getByRole("button", { name: /Actions for/ }).click();
      await page.getByRole("menuitem", { name: "Hold from Home insurance renewals" }).click();
      await row.getByText("campaign hold").waitFor();
      const campaigns = await asAdmin("GET", "/api/v1/campaigns");
      const renewals = campaigns.items.find((c) => c.name === "Home insurance renewals");
      assert.ok(renewals.members.find((m) => m.number === "203").on_hold, "the hold is on the server");
      await shot(page, "supervisor-agents");
    }],
    ["the queues board shows the day's figures", async () => {
      await page.getByRole("tab", { name: "Queues" }).click();
      const queues = page.getByRole("table", { name: "Live queues" });
      const sales = queues.getByRole("row").filter({ hasText: "Sales" });
      await sales.waitFor();
      await sales.getByRole("cell").nth(2).filter({ hasText: /^[1-9]/ }).waitFor(); // answered
      // Participant 210 is paused in Sales only, from the board.
      await sales.getByRole("button", { name: "Pause 210 in Sales" }).click();
      await sales.getByText("210 · participant · paused").waitFor();
      const parts = await asAdmin("GET", "/api/v1/floor/participants");
      const p210 = parts.items[0];
      assert.equal(Object.keys(p210.paused).length, 1, "paused in one queue, on the server");
      const support = queues.getByRole("row").filter({ hasText: "Support" });
      await support.getByRole("button", { name: "Pause 210 in Support" }).waitFor();
      await checkA11y(page, "supervisor queues board");
      await shot(page, "supervisor-queues");
      await sales.getByRole("button", { name: "Unpause 210 in Sales" }).click();
      await sales.getByRole("button", { name: "Pause 210 in Sales" }).waitFor();
    }],
    ["the campaigns board shows both campaigns", async () => {
      await page.getByRole("tab", { name: "Campaigns" }).click();
      const campaigns = page.getByRole("table", { name: "Live campaigns" });
      await campaigns.getByRole("row").filter({ hasText: "Home insurance renewals" }).waitFor();
      const power = campaigns.getByRole("row").filter({ hasText: "Broadband win-back" });
      await power.getByText("on hold").waitFor();
      await power.getByRole("cell").first().filter({ hasText: "40" }).waitFor();
      await checkA11y(page, "supervisor campaigns board");
      await shot(page, "supervisor-campaigns");
    }],
    ["time and attendance agrees with the board, adds up, and exports", async () => {
      await page.getByRole("tab", { name: "Time and attendance" }).click();
      const report = page.getByRole("table", { name: "Time and attendance" });
      const three = report.getByRole("row").filter({ hasText: "203" });
      await three.waitFor();
      // Columns: login, 7 states, adds up, then calls (the board said 1).
      const cells = three.getByRole("cell");
      assert.equal(await cells.nth(8).textContent(), "yes", "the states add up to the login time");
      assert.equal(await cells.nth(9).textContent(), "1", "one call, as on the board");
      await three.getByText("1 supervisor").waitFor(); // the forced logoff
      await checkA11y(page, "time and attendance");
      await shot(page, "reports-attendance");
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV", exact: true }).click()]);
      const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString());
      const lines = text.trim().split("\n");
      assert.match(lines[0], /^agent,number,login_seconds,talk_seconds/);
      const row = lines.find((l) => l.includes(",203,"));
      assert.ok(row, "agent 203 in the CSV");
      assert.equal(row.split(",")[10], "1", "the CSV's calls");
      // The pause summary: agent 3's quick break, today, once.
      const pauses = page.getByRole("table", { name: "Pauses by reason" }).getByRole("row").filter({ hasText: "203" }).filter({ hasText: "Quick break" });
      await pauses.waitFor();
      assert.equal(await pauses.getByRole("cell").nth(2).textContent(), "1", "one quick break");
      const [pdl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export pauses CSV" }).click()]);
      const ptext = await (await pdl.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString());
      assert.match(ptext, /^date,agent,reason,productive,pauses,seconds\n/);
      assert.match(ptext, /\(203\),Quick break,false,1,\d+/);
    }],
    ["the reports: the day's outcome and Sales hour by hour", async () => {
      await page.getByRole("tab", { name: "Reports" }).click();
      const disp = page.getByRole("table", { name: "Dispositions and outcomes" });
      const row = disp.getByRole("row").filter({ hasText: "Agent 3 (203)" });
      await row.getByRole("cell", { name: "Sales" }).waitFor();
      assert.equal(await row.getByRole("cell").last().textContent(), "1", "one call with that outcome");
      const hours = page.getByRole("table", { name: "Queues by hour" });
      const sales = hours.getByRole("row").filter({ hasText: "Sales" });
      await sales.first().waitFor();
      // Columns: hour, bar, offered, answered.
      assert.equal(await sales.first().getByRole("cell").nth(3).textContent(), "1", "Sales answered one call");
      await checkA11y(page, "reports");
      await shot(page, "reports");
    }],
    ["an administrator makes an agent extension, with its Agent tab", async () => {
      const admin = await newPage(browser);
      await signIn(admin, "admin");
      await admin.getByRole("tab", { name: "Extensions" }).click();
      const table = admin.getByRole("table", { name: "Extensions" });
      await table.getByRole("row").filter({ hasText: "203" }).getByText("Agent", { exact: true }).waitFor();
      await admin.getByRole("button", { name: "New extension" }).click();
      const dialog = admin.getByRole("dialog", { name: "New extension" });
      await dialog.getByLabel("Number").fill("205");
      await dialog.getByLabel("Name").fill("Extension 205");
      await dialog.getByRole("button", { name: "Create" }).click();
      const made = admin.getByRole("dialog", { name: "Extension 205" });
      await made.getByText(/shown this once/).waitFor();
      const agentTab = made.getByRole("form", { name: "Agent tab" });
      await agentTab.getByLabel("Enabled: this extension is an agent").check();
      await agentTab.getByLabel("Phone engine").selectOption("external");
      await agentTab.getByLabel("Pause", { exact: true }).uncheck();
      await agentTab.getByLabel("Manual dial").uncheck();
      await agentTab.getByLabel("Wrap-up timeout (seconds)").fill("3");
      await agentTab.getByRole("button", { name: "Save Agent tab" }).click();
      // The API's message, under the field it names.
      const wrap = agentTab.getByLabel("Wrap-up timeout (seconds)");
      await agentTab.getByRole("alert").filter({ hasText: /wrapup_timeout_seconds|wrap-up|between/i }).waitFor();
      assert.equal(await wrap.getAttribute("aria-invalid"), "true", "the field is marked invalid");
      await checkA11y(admin, "extension with the Agent tab");
      await shot(admin, "admin-extension-agent-tab");
      await wrap.fill("30");
      await agentTab.getByRole("button", { name: "Save Agent tab" }).click();
      await agentTab.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      await made.getByRole("button", { name: "Close" }).last().click();
      await table.getByRole("row").filter({ hasText: "205" }).getByText("Agent", { exact: true }).waitFor();
      await checkA11y(admin, "extensions");
      await shot(admin, "admin-extensions");

      // A user for the new agent.
      await admin.getByRole("tab", { name: "Users" }).click();
      await admin.getByRole("button", { name: "New user" }).click();
      const newUser = admin.getByRole("dialog", { name: "New user" });
      await newUser.getByLabel("Username").fill("agent5");
      await newUser.getByLabel("Name", { exact: true }).fill("Eve Agent");
      await newUser.getByLabel("Role").selectOption("agent");
      await newUser.getByLabel("Extension").selectOption({ label: "205 Extension 205" });
      await newUser.getByLabel("Password").fill(password);
      await newUser.getByRole("button", { name: "Create" }).click();
      await newUser.waitFor({ state: "detached" });
      await admin.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: "agent5" }).waitFor();
      await checkA11y(admin, "users");

      // A pause reason: a code already taken is refused under the Code field.
      await admin.getByRole("tab", { name: "Pause reasons" }).click();
      await admin.getByRole("button", { name: "New pause reason" }).click();
      const reason = admin.getByRole("dialog", { name: "New pause reason" });
      await reason.getByLabel("Name").fill("Coaching");
      await reason.getByLabel("Code").fill("1");
      await reason.getByLabel("Threshold (seconds)").fill("900");
      await reason.getByLabel(/Productive/).check();
      await reason.getByRole("button", { name: "Create" }).click();
      await reason.getByRole("alert").waitFor();
      assert.equal(await reason.getByLabel("Code").getAttribute("aria-invalid"), "true", "the code is the field refused");
      await shot(admin, "admin-pause-reason-refused");
      await reason.getByLabel("Code").fill("7");
      await reason.getByRole("button", { name: "Create" }).click();
      await reason.waitFor({ state: "detached" });
      const coaching = admin.getByRole("table", { name: "Pause reasons" }).getByRole("row").filter({ hasText: "Coaching" });
      await coaching.getByText("productive", { exact: true }).waitFor();
      await coaching.getByText("15 min").waitFor();
      await checkA11y(admin, "pause reasons");

      // Support gets the new agent as a member with penalty 2, and a Fail
      // outcome; an outcome with no name is refused under its field.
      await admin.getByRole("tab", { name: "Queue setup" }).click();
      await admin.getByRole("button", { name: "Edit queue Support (601)" }).click();
      const q = admin.getByRole("dialog", { name: "Edit queue Support (601)" });
      const n = await q.getByRole("combobox", { name: /^Member \d+$/ }).count();
      await q.getByRole("button", { name: "Add member" }).click();
      await q.getByLabel(`Member ${n + 1}`, { exact: true }).selectOption({ label: "205 Extension 205" });
      await q.getByLabel(`Penalty of member ${n + 1}`).fill("2");
      const o = await q.getByRole("textbox", { name: /^Outcome \d+$/ }).count();
      await q.getByRole("button", { name: "Add outcome" }).click();
      await q.getByLabel(`Category of outcome ${o + 1}`).selectOption("fail");
      await q.getByRole("button", { name: "Save" }).click();
      await q.getByRole("alert").first().waitFor();
      assert.equal(await q.getByLabel(`Outcome ${o + 1}`, { exact: true }).getAttribute("aria-invalid"), "true", "the nameless outcome is the field refused");
      await q.getByLabel(`Outcome ${o + 1}`, { exact: true }).fill("Wrong number");
      await q.getByLabel(`Fails (outcome ${o + 1})`).selectOption("number");
      await checkA11y(admin, "queue setup");
      await shot(admin, "admin-queue");
      await q.getByRole("button", { name: "Save" }).click();
      await q.waitFor({ state: "detached" });
      await admin.getByRole("table", { name: "Queues" }).getByRole("row").filter({ hasText: "Support" }).getByText(/205 \(2\)/).waitFor();
      const support = (await asAdmin("GET", "/api/v1/queues")).items.find((x) => x.number === "601");
      assert.ok(support.outcomes.some((x) => x.name === "Wrong number" && x.fail_scope === "number"), "the outcome fails the number");

      // An API token for a CRM: shown once, it works, and revoked it
      // does not.
      await admin.getByRole("tab", { name: "API tokens" }).click();
      await admin.getByRole("button", { name: "New token" }).click();
      const tokenDialog = admin.getByRole("dialog", { name: "New API token" });
      await tokenDialog.getByLabel("Name (what uses it)").fill("CRM");
      await tokenDialog.getByRole("button", { name: "Create" }).click();
      const token = (await tokenDialog.getByRole("status").textContent()).trim();
      const asToken = () => fetch(`${base}/api/v1/floor/agents`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal((await asToken()).status, 200, "the token signs in");
      await tokenDialog.getByRole("button", { name: "Done" }).click();
      await admin.getByRole("button", { name: "Revoke token CRM" }).click();
      await admin.getByRole("dialog", { name: "Revoke token CRM?" }).getByRole("button", { name: "Revoke" }).click();
      await admin.getByRole("table", { name: "API tokens" }).getByRole("row").filter({ hasText: "CRM" }).waitFor({ state: "detached" });
      assert.equal((await asToken()).status, 401, "a revoked token is refused");
      await checkA11y(admin, "api tokens");

      // A campaign's settings: a value out of range is refused under its
      // field; then leads imported into its list from CSV, the refused
      // rows reported first by a dry run.
      await admin.getByRole("tab", { name: "Campaign setup" }).click();
      await admin.getByRole("button", { name: "Edit campaign Broadband win-back" }).click();
      const camp = admin.getByRole("dialog", { name: "Edit campaign Broadband win-back" });
      await camp.getByLabel("Attempts per lead").fill("0");
      await camp.getByRole("button", { name: "Save" }).click();
      await camp.getByRole("alert").first().waitFor();
      assert.equal(await camp.getByLabel("Attempts per lead").getAttribute("aria-invalid"), "true", "attempts is the field refused");
      await camp.getByLabel("Attempts per lead").fill("4");
      await checkA11y(admin, "campaign setup");
      await shot(admin, "admin-campaign");
      await camp.getByRole("button", { name: "Save" }).click();
      await camp.waitFor({ state: "detached" });
      const lists = admin.getByRole("table", { name: "Lists" });
      await lists.getByRole("row").filter({ hasText: "Left this year" }).getByRole("button", { name: "Import leads into Left this year" }).click();
      const imp = admin.getByRole("dialog", { name: "Import leads into Left this year" });
      const csv = "Name,Phone,Account number\nNew Customer,07700 900555,BB-900001\nBad Number,12,BB-900002\nAlready There,+441632960601,BB-900003\n";
      await imp.getByLabel("CSV file").setInputFiles({ name: "leads.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
      await imp.getByLabel("Name column").waitFor();
      await imp.getByRole("button", { name: "Check (dry run)" }).click();
      await imp.getByRole("status", { name: "Import report" }).getByText("Would import 1 of 3 rows; 2 refused.").waitFor();
      await imp.getByRole("table", { name: "Refused rows" }).getByRole("row").nth(2).waitFor();
      await checkA11y(admin, "lead import");
      await shot(admin, "admin-import");
      await imp.getByRole("button", { name: "Import", exact: true }).click();
      await imp.getByRole("status", { name: "Import report" }).getByText("Imported 1 of 3 rows; 2 refused.").waitFor();
      await imp.getByRole("button", { name: "Close" }).click();
      await lists.getByRole("row").filter({ hasText: "Left this year" }).getByRole("cell", { name: "41" }).waitFor();

      // The demo's carrier: registered, and Sales' number arriving on it.
      await admin.getByRole("tab", { name: "Trunks" }).click();
      await admin.getByRole("table", { name: "Trunks" }).getByRole("row").filter({ hasText: "Simulated carrier" }).getByText("registered").waitFor();
      await admin.getByRole("table", { name: "Inbound numbers" }).getByRole("row").filter({ hasText: "442079460600" }).getByText("queue Sales").waitFor();
      await checkA11y(admin, "trunks");
      await shot(admin, "admin-trunks");
      await admin.close();
    }],
    ["an administrator schedules a report, and it arrives by mail with its CSV", async () => {
      const mail = await rigMail();
      const admin = await newPage(browser);
      await signIn(admin, "admin");
      await admin.getByRole("tab", { name: "Automated reports" }).click();
      const server = admin.getByRole("form", { name: "Mail server" });
      await server.getByLabel("Host").fill(mail.host);
      await server.getByLabel("Port").fill(String(mail.port));
      await server.getByLabel("Security").selectOption("none");
      // Credentials over a connection in clear: refused next to the field.
      await server.getByLabel("Username").fill("reports");
      await server.getByLabel("From address").fill("reports@acme.example");
      await server.getByRole("button", { name: "Save mail server" }).click();
      await server.getByRole("alert").filter({ hasText: /only sent over TLS/ }).waitFor();
      assert.equal(await server.getByLabel("Security").getAttribute("aria-invalid"), "true", "security is marked invalid");
      await server.getByLabel("Username").fill("");
      await server.getByRole("button", { name: "Save mail server" }).click();
      await admin.getByRole("status").filter({ hasText: "Saved." }).waitFor();
      await admin.getByLabel("Send a test message to").fill("manager@acme.example");
      await admin.getByRole("button", { name: "Send test" }).click();
      await admin.getByRole("status").filter({ hasText: "accepted by the mail server" }).waitFor();

      await admin.getByRole("button", { name: "New report schedule" }).click();
      const dialog = admin.getByRole("dialog", { name: "New report schedule" });
      await dialog.getByLabel("Name", { exact: true }).fill("Daily attendance");
      await dialog.getByLabel("Report", { exact: true }).selectOption({ label: "Time and attendance" });
      await dialog.getByLabel("Hour").selectOption({ label: "07:00" });
      await dialog.getByLabel("Send to, one address a line").fill("manager@acme.example\nnot-an-address");
      await dialog.getByRole("button", { name: "Create" }).click();
      await dialog.getByRole("alert").filter({ hasText: /not-an-address/ }).waitFor();
      await dialog.getByLabel("Send to, one address a line").fill("manager@acme.example\nops@acme.example");
      await dialog.getByRole("button", { name: "Create" }).click();
      const table = admin.getByRole("table", { name: "Report schedules" });
      const row = table.getByRole("row").filter({ hasText: "Daily attendance" });
      await row.getByText("Every day at 07:00, the day before").waitFor();
      await row.getByText("Not sent yet").waitFor();
      await row.getByRole("button", { name: "Send Daily attendance now" }).click();
      await row.getByText(/^Sent /).waitFor();
      await checkA11y(admin, "automated reports");
      await shot(admin, "admin-automated-reports");

      const { messages } = await rigMail();
      assert.equal(messages.length, 2, "the test message and the report arrived");
      const [test, report] = messages;
      assert.deepEqual(test.to, ["manager@acme.example"]);
      assert.deepEqual(report.to, ["manager@acme.example", "ops@acme.example"]);
      assert.match(report.subject, /^Time and attendance, /);
      assert.match(report.text, /agents logged in/);
      const [name] = Object.keys(report.attachments);
      assert.match(name, /^attendance-\d{4}-\d{2}-\d{2}\.csv$/);
      const lines = report.attachments[name].trim().split("\n");
      assert.match(lines[0], /^agent,number,login_seconds,/);
      const exts = await asAdmin("GET", "/api/v1/extensions");
      const agents = exts.items.filter((e) => e.agent.enabled).length;
      assert.equal(lines.length - 1, agents, "one row per agent");
      await admin.close();
    }],
    ["an administrator adds a webhook endpoint: a test event and an agent's pause arrive, signed", async () => {
      const admin = await newPage(browser);
      await signIn(admin, "admin");
      await admin.getByRole("tab", { name: "Webhooks" }).click();
      await admin.getByRole("button", { name: "New webhook endpoint" }).click();
      const dialog = admin.getByRole("dialog", { name: "New webhook endpoint" });
      await dialog.getByLabel("URL", { exact: true }).fill("ftp://crm.example");
      await dialog.getByLabel("agent.paused").check();
      await dialog.getByLabel("agent.unpaused").check();
      await dialog.getByRole("button", { name: "Create" }).click();
      await dialog.getByRole("alert").filter({ hasText: /http/ }).waitFor();
      assert.equal(await dialog.getByLabel("URL", { exact: true }).getAttribute("aria-invalid"), "true", "the URL is marked invalid");
      await dialog.getByLabel("URL", { exact: true }).fill(`${rigURL}/integrator`);
      await dialog.getByLabel("Description").fill("CRM");
      await dialog.getByRole("button", { name: "Create" }).click();
      const shown = admin.getByRole("dialog", { name: "Signing secret" });
      const secret = (await shown.getByLabel("Signing secret").textContent()).trim();
      assert.match(secret, /^whsec_/);
      await checkA11y(admin, "webhook secret");
      await shown.getByRole("button", { name: "Done" }).click();
      const row = admin.getByRole("table", { name: "Webhooks" }).getByRole("row").filter({ hasText: "/integrator" });
      await row.getByText("2 types").waitFor();
      await row.getByRole("button", { name: /^Send a test event/ }).click();
      await admin.getByRole("status").filter({ hasText: /Test message msg_\S+ queued/ }).waitFor();
      await asAgent3("POST", "/api/v1/floor/me/login").catch(() => {});
      await asAgent3("POST", "/api/v1/floor/me/pause", { reason_id: 2 });
      await asAgent3("POST", "/api/v1/floor/me/unpause");
      // Every message, verified by the reference library with the secret shown once.
      const wh = new Webhook(secret);
      const deadline = Date.now() + 15000;
      let got = [];
      while (Date.now() < deadline) {
        got = await rigIntegrator();
        if (got.some((m) => JSON.parse(m.body).type === "agent.unpaused")) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const types = got.map((m) => {
        const msg = wh.verify(m.body, { "webhook-id": m["webhook-id"], "webhook-timestamp": m["webhook-timestamp"], "webhook-signature": m["webhook-signature"] });
        return msg.type;
      });
      assert.deepEqual(types, ["webhook.test", "agent.paused", "agent.unpaused"], `the messages, in order: ${types}`);
      assert.throws(() => new Webhook("whsec_" + Buffer.from("not the secret").toString("base64")).verify(got[1].body, got[1]), "another secret does not verify");
      await row.getByRole("button", { name: /^Deliveries to/ }).click();
      const log = admin.getByRole("dialog", { name: /^Deliveries to/ });
      await log.getByRole("table", { name: "Delivery attempts" }).getByRole("row").filter({ hasText: "agent.paused" }).getByText("204").waitFor();
      await checkA11y(admin, "webhook deliveries");
      await shot(admin, "admin-webhook-deliveries");
      await log.getByRole("button", { name: "Close" }).last().click();
      await admin.close();
    }],
    ["the new agent's workspace shows exactly the permitted controls", async () => {
      const asAdmin2 = await apiAs("admin");
      const exts = await asAdmin2("GET", "/api/v1/extensions");
      const e205 = exts.items.find((e) => e.number === "205");
      assert.equal(e205.agent.permissions.pause, false);
      const eve = await newPage(browser);
      await signIn(eve, "agent5");
      await eve.getByRole("button", { name: "Log in" }).click();
      await status(eve).getByText(/Available/).waitFor();
      await eve.getByRole("button", { name: "Log off" }).waitFor();
      assert.equal(await eve.getByRole("button", { name: "Pause", exact: true }).count(), 0, "no Pause button");
      assert.equal(await eve.getByRole("button", { name: "Dial pad" }).count(), 0, "no Dial button");
      await shot(eve, "admin-new-agent-workspace");
      await eve.close();
    }],
  ]);
} finally {
  await browser.close();
}
