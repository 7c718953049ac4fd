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

  it("keeps each queue's latest live figures, outside the sequence", () => {
    const s = new Store();
    s.snapshot(5, []);
    s.queueStatsFrom([{ queue_id: 7, number: "600", name: "Sales", waiting: 0 } as never]);
    s.live({ type: "queue.stats", seq: 0, account_id: 1, at: "2026-12-03T10:01:00Z", queue_stats: { queue_id: 7, number: "600", name: "Sales", waiting: 3 } as never });
    expect(s.get().queueStats[7]?.waiting).toBe(3);
    expect(s.get().conn.lastSeq).toBe(5);
  });

  it("counts the steps of campaign calls for the campaigns board", () => {
    const s = new Store();
    s.snapshot(1, []);
    const v = s.get().campaignVersion;
    s.event(2, { type: "call.record", seq: 2, account_id: 1, at: "2026-12-03T10:01:00Z", record: { call_id: "x", step: "ringing" } }, undefined);
    expect(s.get().campaignVersion).toBe(v);
    s.event(3, { type: "call.record", seq: 3, account_id: 1, at: "2026-12-03T10:01:00Z", record: { call_id: "x", step: "campaign_attempt", reason: "busy" } }, undefined);
    expect(s.get().campaignVersion).toBe(v + 1);
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
