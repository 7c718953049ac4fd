// bench-boards: the page's side of make bench-boards (bench/boards). It
// signs in as the bench account's admin, opens the Agents board and
// waits for every agent, sorts by agent (the probe agent first), then
// prints READY. Until a line DONE
// arrives on stdin it records each animation frame longer than 50 ms
// (Long Animation Frames), the gaps between frames, and a Chrome trace,
// and every 2 seconds pauses or unpauses the probe agent and times the
// command until the probe's row shows the new state. Then it prints one
// line RESULT {json} and exits.
import fs from "node:fs";
import readline from "node:readline";
import { chromium } from "playwright-core";

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: this script is run by make bench-boards`);
  return v;
}
const base = env("CALLFLOOR_URL");
const agents = Number(env("BENCH_AGENTS"));
const probe = { token: env("PROBE_TOKEN"), number: env("PROBE_NUMBER"), reason: Number(env("PROBE_REASON")) };
const tracePath = env("TRACE_PATH");

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
page.on("pageerror", (e) => {
  console.error(`page error: ${e.message}`);
  process.exitCode = 1;
});
// The frame recorder: idle until __bench.on is set.
await page.addInitScript(() => {
  const b = { on: false, long: [], gaps: [], last: 0 };
  window.__bench = b;
  new PerformanceObserver((list) => {
    if (!b.on) return;
    for (const e of list.getEntries()) {
      const top = [...(e.scripts ?? [])].sort((x, y) => y.duration - x.duration)[0];
      b.long.push({ duration: e.duration, blocking: e.blockingDuration, script: top ? `${top.invoker} ${Math.round(top.duration)} ms` : "" });
    }
  }).observe({ type: "long-animation-frame", buffered: false });
  const tick = (t) => {
    if (b.on && b.last) b.gaps.push(t - b.last);
    b.last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
});

await page.goto(base + "/");
await page.getByLabel("Account").fill(env("BENCH_ACCOUNT"));
await page.getByLabel("Username").fill("admin");
await page.getByLabel("Password").fill(env("BENCH_PASSWORD"));
await page.getByRole("button", { name: "Sign in" }).click();
const board = page.getByRole("table", { name: "Live agents" });
await board.waitFor();
await page.getByText(`${agents} of ${agents} agents`).waitFor({ timeout: 60000 });
// Sorted by agent, the probe (the first agent) is the first row.
await board.getByRole("button", { name: "Agent", exact: true }).click();
await board.getByRole("row").nth(1).filter({ hasText: probe.number }).waitFor();
const rows = await board.locator("tbody tr:not(.spacer)").count();

await browser.startTracing(page, { path: tracePath, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline.frame"] });
// BENCH_PROFILE=1: a CPU profile of the page too, its hottest functions
// printed to stderr at the end.
const cdp = process.env.BENCH_PROFILE ? await page.context().newCDPSession(page) : undefined;
if (cdp) {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.start");
}
await page.evaluate(() => {
  window.__bench.on = true;
});
console.log("READY");

// The probe: pause and unpause agent PROBE_NUMBER, timed to its row.
const probeMS = [];
let done = false;
const stdin = readline.createInterface({ input: process.stdin });
stdin.on("line", (l) => {
  if (l === "DONE") done = true;
});
let paused = false;
while (!done) {
  await new Promise((r) => setTimeout(r, 2000));
  if (done) break;
  const want = paused ? "Available" : "Paused";
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/floor/me/${paused ? "unpause" : "pause"}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${probe.token}`, "Content-Type": "application/json" },
    body: paused ? undefined : JSON.stringify({ reason_id: probe.reason }),
  });
  if (!res.ok) throw new Error(`probe: ${res.status} ${await res.text()}`);
  await page.waitForFunction(
    ([number, label]) => {
      for (const tr of document.querySelectorAll('table[aria-label="Live agents"] tbody tr')) {
        const head = tr.querySelector("th")?.textContent ?? "";
        if (head.includes(number)) return (tr.querySelector(".state")?.textContent ?? "").includes(label);
      }
      return false;
    },
    [probe.number, want],
    { polling: "raf", timeout: 30000 },
  );
  probeMS.push(performance.now() - t0);
  paused = !paused;
}

stdin.close();
const b = await page.evaluate(() => {
  window.__bench.on = false;
  return { long: window.__bench.long, gaps: window.__bench.gaps, heap: performance.memory?.usedJSHeapSize ?? 0 };
});
if (cdp) printHottest((await cdp.send("Profiler.stop")).profile);
await browser.stopTracing();
await browser.close();

const gaps = [...b.gaps].sort((x, y) => x - y);
const longest = b.long.reduce((m, e) => (e.duration > (m?.duration ?? 0) ? e : m), undefined);
const result = {
  frames: gaps.length,
  long_frames: b.long.length,
  longest_frame_ms: longest?.duration ?? 0,
  frame_p99_ms: gaps.length ? gaps[Math.floor(0.99 * (gaps.length - 1))] : 0,
  blocking_ms: b.long.reduce((s, e) => s + e.blocking, 0),
  probe_ms: probeMS,
  rows_shown: rows,
  trace_path: fs.existsSync(tracePath) ? tracePath : "",
  heap_mb: b.heap / 1e6,
  long_frame_script: longest?.script ?? "",
};
console.log(`RESULT ${JSON.stringify(result)}`);

/** printHottest writes the functions that took the most time of their own. */
function printHottest(profile) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.error(`profile: ${ms.toFixed(0).padStart(7)} ms  ${k}`);
}
