import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agent } from "../test/fixtures";
import { Store } from "./store";
import { backoff, heartbeatMs, heartbeatTimeoutMs, StreamClient } from "./stream";

/** FakeSocket stands in for the browser's WebSocket. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closed?: { code?: number; reason?: string };
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  send(s: string) {
    this.sent.push(s);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  drop(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function client(store: Store, extra: Partial<ConstructorParameters<typeof StreamClient>[1]> = {}) {
  return new StreamClient(store, { socket: (url) => new FakeSocket(url) as unknown as WebSocket, ...extra });
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;

describe("StreamClient", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal("WebSocket", { OPEN: 1 });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("connects, takes the snapshot and measures the clock offset", () => {
    const store = new Store();
    vi.setSystemTime(new Date("2026-12-03T10:00:00.000Z"));
    client(store).start();
    expect(last().url).toMatch(/\/api\/v1\/stream$/);
    last().open();
    last().receive({ type: "snapshot", seq: 4, now: "2026-12-03T10:00:02.000Z", agents: [agent()] });
    expect(store.get().conn).toMatchObject({ status: "live", lastSeq: 4, offsetMs: 2000 });
  });

  it("after a drop, shows the loss, waits, and resumes after the last event it had", () => {
    const store = new Store();
    client(store).start();
    last().open();
    last().receive({ type: "snapshot", seq: 4, agents: [agent()] });
    last().receive({ type: "event", seq: 9, event: { type: "agent.paused", seq: 9, account_id: 1, at: "2026-12-03T10:00:00Z" }, agents: [agent({ state: "paused" })] });
    last().drop(1006);
    expect(store.get().conn.status).toBe("lost");
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(backoff[0]! * 1.2 + 1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().url).toMatch(/\?after=9$/);
    last().open();
    last().receive({ type: "event", seq: 10, event: { type: "agent.unpaused", seq: 10, account_id: 1, at: "2026-12-03T10:00:05Z" }, agents: [agent()] });
    expect(store.get().conn).toMatchObject({ status: "live", lastSeq: 10 });
    expect(store.get().agents[7]?.state).toBe("idle");
  });

  it("a close in the 4000s is the server ending the session: no reconnection, the reason kept", () => {
    const store = new Store();
    const ended = vi.fn();
    client(store, { onSessionEnded: ended }).start();
    last().open();
    last().receive({ type: "snapshot", seq: 1, agents: [] });
    last().drop(4001, "Your session was ended: you signed out elsewhere.");
    vi.advanceTimersByTime(60000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(store.get().conn).toMatchObject({ status: "ended", reason: "Your session was ended: you signed out elsewhere." });
    expect(ended).toHaveBeenCalledWith("Your session was ended: you signed out elsewhere.");
  });

  it("a refused connection asks whether the session still stands", async () => {
    const store = new Store();
    const ended = vi.fn();
    client(store, { onSessionEnded: ended, checkSession: async () => false }).start();
    last().drop(1006);
    await vi.waitFor(() => expect(ended).toHaveBeenCalled());
    expect(store.get().conn.status).toBe("ended");
  });

  it("a socket that stops answering the heartbeat is replaced", () => {
    const store = new Store();
    client(store).start();
    last().open();
    last().receive({ type: "snapshot", seq: 1, agents: [] });
    vi.advanceTimersByTime(heartbeatMs);
    expect(JSON.parse(last().sent[0]!)).toMatchObject({ method: "GET", path: "/api/v1/floor/me" });
    vi.advanceTimersByTime(heartbeatTimeoutMs);
    expect(last().closed?.code).toBe(3000);
    expect(store.get().conn.status).toBe("lost");
    vi.advanceTimersByTime(backoff[0]! * 1.2 + 1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().url).toMatch(/\?after=1$/);
  });
});
