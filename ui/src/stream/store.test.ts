import { describe, expect, it } from "vitest";
import { agent } from "../test/fixtures";
import { Store } from "./store";

describe("Store", () => {
  it("takes a snapshot whole, then events in order, replacing the agents they carry", () => {
    const s = new Store();
    s.snapshot(10, [agent({ extension_id: 1 }), agent({ extension_id: 2 })], 250);
    expect(s.get().conn).toMatchObject({ status: "live", lastSeq: 10, offsetMs: 250 });
    s.event(11, { type: "agent.paused", seq: 11, account_id: 1, at: "2026-12-03T10:01:00Z", extension_id: 1 }, [
      agent({ extension_id: 1, state: "paused" }),
    ]);
    expect(s.get().agents[1]?.state).toBe("paused");
    expect(s.get().agents[2]?.state).toBe("idle");
    expect(s.get().conn.lastSeq).toBe(11);
  });

  it("ignores an event at or before the last one (a repeat after a reconnection)", () => {
    const s = new Store();
    s.snapshot(10, [agent({ extension_id: 1 })]);
    const before = s.get();
    s.event(9, { type: "agent.paused", seq: 9, account_id: 1, at: "2026-12-03T10:01:00Z" }, [agent({ extension_id: 1, state: "paused" })]);
    s.event(10, { type: "agent.paused", seq: 10, account_id: 1, at: "2026-12-03T10:01:00Z" }, [agent({ extension_id: 1, state: "paused" })]);
    expect(s.get()).toBe(before);
  });

  it("counts what changes the agent's activity", () => {
    const s = new Store();
    s.snapshot(1, []);
    const v = s.get().activityVersion;
    s.event(2, { type: "agent.paused", seq: 2, account_id: 1, at: "2026-12-03T10:01:00Z" }, undefined);
    expect(s.get().activityVersion).toBe(v);
    s.event(3, { type: "call.ended", seq: 3, account_id: 1, at: "2026-12-03T10:02:00Z" }, undefined);
    expect(s.get().activityVersion).toBe(v + 1);
  });

  it("forgets everything on sign-out, keeping the reason", () => {
    const s = new Store();
    s.snapshot(5, [agent()]);
    s.signedOut("A supervisor ended your session.");
    expect(s.get().agents).toEqual({});
    expect(s.get().conn).toMatchObject({ status: "ended", reason: "A supervisor ended your session.", lastSeq: -1 });
    expect(s.get().auth.status).toBe("anonymous");
  });
});
