// The page is the phone: agent 1 (WebRTC engine) signs in, the page
// registers over the server's SIP WebSocket, a carrier call to Sales
// rings in the page, the agent answers there, and audio flows both ways
// (the page hears the customer; the customer receives the page's
// microphone, Chromium's fake tone); a reload mid-call keeps the customer
// and the call comes back to the page; the keypad's digits reach the
// customer; the agent hangs up and wraps up. Then the microphone is
// refused: the page says so and no call is offered.
import { apiAs, assert, checkA11y, launch, micTone, newPage, rig, rigAgent, rigCarrier, rigPhoneLevel, shot, signIn, status, steps, waitAgent } from "./lib.mjs";

const browser = await launch();
const page = await newPage(browser);
// Keep every peer connection the page makes, to read its statistics.
await page.addInitScript(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
});
const agent = status(page);
const phone = page.getByRole("region", { name: "Phone" });
const call = page.getByRole("region", { name: "Current call" });

/** inbound reads the page's received audio: packets and energy. */
async function inbound() {
  return page.evaluate(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    if (!pc) return { packets: 0, energy: 0 };
    let packets = 0;
    let energy = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        packets += s.packetsReceived ?? 0;
        energy += s.totalAudioEnergy ?? 0;
      }
    });
    return { packets, energy };
  });
}

async function until(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: ${JSON.stringify(last)}`);
}

try {
  await steps(page, [
    ["agent 1 signs in and the page becomes the phone", async () => {
      await signIn(page, "agent1");
      await phone.getByText("Phone ready").waitFor({ timeout: 15000 });
      await page.getByRole("button", { name: "Log in" }).click();
      await agent.getByText("Available").waitFor();
      await waitAgent("201", "idle");
      await checkA11y(page, "page phone ready");
    }],
    ["a Sales call rings in the page and is answered there", async () => {
      await rig("/call", { did: "442079460600", from: "+441632960201" });
      await phone.getByRole("alert").getByText(/Call from/).waitFor({ timeout: 20000 });
      await shot(page, "page-phone-ringing");
      await phone.getByRole("button", { name: "Answer" }).click();
      await call.getByText("+441632960201").waitFor({ timeout: 15000 });
      await agent.getByText("On call").waitFor();
      await waitAgent("201", "on_call");
    }],
    ["audio both ways", async () => {
      const before = await rigCarrier();
      const heard = await until("the page hears the customer", async () => {
        const s = await inbound();
        return { ...s, ok: s.packets > 100 && s.energy > 0 };
      });
      console.log(`page received ${heard.packets} packets, audio energy ${heard.energy.toFixed(4)}`);
      const sent = await until("the customer receives the page's audio", async () => {
        const c = await rigCarrier();
        return { ...c, ok: c.rtp_received - before.rtp_received > 100 };
      });
      console.log(`carrier received ${sent.rtp_received - before.rtp_received} packets from the page`);
      await phone.getByLabel("Volume").waitFor();
      await shot(page, "page-phone-on-call");
    }],
    ["a reload keeps the customer on the call, and the call comes back to the page", async () => {
      const t0 = Date.now();
      await page.reload();
      await phone.getByText("Phone ready").waitFor({ timeout: 15000 });
      const ready = Date.now();
      await call.getByText("+441632960201").waitFor({ timeout: 15000 });
      const held = await rigCarrier();
      assert.equal(held.active, 1, "the customer is still on the call");
      const back = await until("the page hears the customer again", async () => {
        const s = await inbound();
        return { ...s, ok: s.packets > 50 && s.energy > 0 };
      }, 15000);
      console.log(`page back: registered ${ready - t0} ms after the reload, audio ${Date.now() - ready} ms after that (${back.packets} packets)`);
      const before = await rigCarrier();
      await until("the customer hears the page again", async () => {
        const c = await rigCarrier();
        return { ...c, ok: c.rtp_received - before.rtp_received > 50 };
      });
      await waitAgent("201", "on_call");
    }],
    ["five seconds offline keep the call, with audio both ways after", async () => {
      await page.context().setOffline(true);
      await page.waitForTimeout(5000);
      await page.context().setOffline(false);
      await phone.getByText("Phone ready").waitFor({ timeout: 20000 });
      const c0 = await rigCarrier();
      assert.equal(c0.active, 1, "the customer is still on the call");
      const s0 = await inbound();
      await until("the page still hears the customer", async () => {
        const s = await inbound();
        return { ...s, ok: s.packets - s0.packets > 50 };
      });
      await until("the customer still hears the page", async () => {
        const c = await rigCarrier();
        return { ...c, ok: c.rtp_received - c0.rtp_received > 50 };
      });
      await waitAgent("201", "on_call");
    }],
    ["the keypad's digits reach the customer", async () => {
      await call.getByRole("button", { name: "Keypad" }).click();
      const pad = call.getByRole("group", { name: "Send tones" });
      for (const d of ["4", "2"]) await pad.getByRole("button", { name: `Key ${d}` }).click();
      await until("digits at the customer", async () => {
        const c = await rigCarrier();
        return { digits: c.digits, ok: c.digits.endsWith("42") };
      });
      await call.getByRole("button", { name: "Keypad" }).click();
    }],
    ["a conference with agent 4: each party hears the others", async () => {
      const agent4 = await apiAs("agent4");
      await agent4("POST", "/api/v1/floor/me/login");
      await page.getByRole("button", { name: "Add line" }).click();
      const dialog = page.getByRole("dialog", { name: "New line" });
      await dialog.getByLabel("Number or name").fill("204");
      await page.getByRole("option", { name: /Agent 4/ }).click();
      await dialog.getByRole("button", { name: "Call" }).click();
      const lines = page.getByRole("navigation", { name: "Lines" });
      await lines.getByRole("button", { name: /Line 2: 204, active/ }).waitFor({ timeout: 15000 });
      await page.getByRole("button", { name: "Conference" }).click();
      await lines.getByRole("button", { name: /Line 1: \+441632960201, active/ }).waitFor({ timeout: 10000 });
      await lines.getByRole("button", { name: /Line 2: 204, active/ }).waitFor();
      await shot(page, "page-phone-conference");
      // Agent 4 hears the page's microphone through the server's mixer.
      const heard = await until("agent 4 hears the page", async () => {
        const p = await rigPhoneLevel("204", micTone);
        return { ...p, ok: p.level >= p.heard_level };
      }, 15000);
      // ...as a tone, not as broadband sound that is loud at any frequency.
      const beside = await rigPhoneLevel("204", micTone - 150);
      console.log(`agent 4 hears the page's ${micTone} Hz at level ${heard.level.toFixed(0)}, ${micTone - 150} Hz at ${beside.level.toFixed(0)}`);
      assert.ok(beside.level < heard.level / 4, "agent 4 hears the page's tone above the rest");
      const c0 = await rigCarrier();
      const s0 = await inbound();
      await until("the page hears the conference", async () => {
        const s = await inbound();
        return { ...s, ok: s.packets - s0.packets > 50 && s.energy > s0.energy };
      });
      await until("the customer hears the conference", async () => {
        const c = await rigCarrier();
        return { ...c, ok: c.rtp_received - c0.rtp_received > 50 };
      });
      // Agent 4 leaves; the customer stays with the page.
      await rig("/phone", { ext: "204", do: "hangup" });
      await lines.waitFor({ state: "detached", timeout: 15000 });
      await call.getByText("+441632960201").waitFor();
    }],
    ["the agent hangs up and wraps up", async () => {
      await call.getByRole("button", { name: "Hang up" }).click();
      const form = page.getByRole("form", { name: "Disposition" });
      await form.waitFor();
      await form.getByRole("radio", { name: "Success" }).check({ force: true });
      await form.getByRole("radiogroup", { name: "Outcome" }).getByRole("radio").first().check({ force: true });
      await form.getByRole("button", { name: "Submit disposition" }).click();
      await agent.getByText("Available").waitFor();
      const c = await rigCarrier();
      assert.equal(c.active, 0, "the customer's call is over");
    }],
  ]);

  // A page whose microphone is refused is no phone: it says so, does not
  // register, and the floor offers its agent nothing.
  const denied = await browser.newContext({ viewport: { width: 1280, height: 720 }, permissions: [] });
  const page2 = await denied.newPage();
  await page2.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("denied", "NotAllowedError"));
  });
  await steps(page2, [
    ["agent 2's microphone is refused", async () => {
      await signIn(page2, "agent2");
      const phone2 = page2.getByRole("region", { name: "Phone" });
      await phone2.getByText("No microphone").waitFor({ timeout: 15000 });
      await phone2.getByText(/not allowed to use the microphone/).waitFor();
      await page2.getByRole("button", { name: "Log in" }).click();
      await status(page2).getByText("Available").waitFor();
      await page2.getByText(/page's phone is not ready/).waitFor();
      await checkA11y(page2, "microphone refused");
      await shot(page2, "page-phone-no-microphone");
    }],
    ["a Sales call is not offered to the agent without a phone", async () => {
      // Agent 1 leaves, so agent 2 is the only Sales agent logged in.
      const agent1 = await apiAs("agent1");
      await agent1("POST", "/api/v1/floor/me/logoff");
      await waitAgent("201", "logged_off");
      await rig("/call", { did: "442079460600", from: "+441632960202" });
      await until("the customer's call is up", async () => {
        const c = await rigCarrier();
        return { ...c, ok: c.active === 1 };
      });
      for (let i = 0; i < 20; i++) {
        assert.equal((await rigAgent("202")).state, "idle", "agent 2, with no phone, is offered the Sales call");
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal((await rigCarrier()).active, 1, "the customer waits in the queue");
    }],
  ]);
} finally {
  await browser.close();
}
