// StreamClient owns the WebSocket to /api/v1/stream: it takes the
// snapshot, then every event in order into the store; after a drop it
// reconnects with ?after=<last seq> so the server sends what was missed
// (or a fresh snapshot when it no longer keeps it). A close code in the
// 4000s is the server ending the session on purpose: no reconnection.
import type { StreamMessage } from "../api/client";
import type { Store } from "./store";

export interface StreamOptions {
  /** Builds the socket; tests pass a fake. */
  socket?: (url: string) => WebSocket;
  /** The clock; tests pass a fake. */
  now?: () => number;
  /** Called when the server ends the session or the credentials stop working. */
  onSessionEnded?: (reason: string) => void;
  /** Called after every (re)connection, to refresh what the stream does not carry. */
  onLive?: () => void;
  /** Asked after a failed connection: is the session still valid? */
  checkSession?: () => Promise<boolean>;
}

/** Delays between reconnection attempts, in ms; the last repeats. */
export const backoff = [500, 1000, 2000, 4000, 8000];
/** How often the client checks that the socket still answers. */
export const heartbeatMs = 20000;
/** How long a heartbeat may go unanswered before the socket counts as lost. */
export const heartbeatTimeoutMs = 10000;

export class StreamClient {
  private ws?: WebSocket;
  private attempt = 0;
  private stopped = true;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private beatTimer?: ReturnType<typeof setInterval>;
  private beatDeadline?: ReturnType<typeof setTimeout>;
  private nextID = 1;
  private pending = new Map<string, (m: StreamMessage) => void>();
  private readonly store: Store;
  private readonly opts: StreamOptions;

  constructor(store: Store, opts: StreamOptions = {}) {
    this.store = store;
    this.opts = opts;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, "signed out");
    }
    this.store.connection({ status: "idle", retryAt: undefined });
  }

  /** retryNow skips the wait before the next reconnection attempt. */
  retryNow(): void {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  /** command sends a floor request over the socket and resolves with its reply. */
  command(method: string, path: string, body?: unknown): Promise<StreamMessage> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("not connected"));
    const id = String(this.nextID++);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, path, body }));
    });
  }

  private url(): string {
    const loc = window.location;
    const proto = loc.protocol === "https:" ? "wss:" : "ws:";
    const after = this.store.get().conn.lastSeq;
    return `${proto}//${loc.host}/api/v1/stream${after >= 0 ? `?after=${after}` : ""}`;
  }

  private connect(): void {
    this.store.connection({ status: this.store.get().conn.lastSeq < 0 ? "connecting" : "lost", retryAt: undefined });
    const ws = this.opts.socket ? this.opts.socket(this.url()) : new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (e: MessageEvent) => {
      let m: StreamMessage;
      try {
        m = JSON.parse(String(e.data)) as StreamMessage;
      } catch {
        return;
      }
      this.take(m);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.clearTimers();
      for (const resolve of this.pending.values()) resolve({ type: "reply", seq: 0, status: 0 });
      this.pending.clear();
      if (this.stopped) return;
      if (e.code >= 4000 && e.code < 5000) {
        this.stopped = true;
        const reason = e.reason || "The server ended this session.";
        this.store.connection({ status: "ended", reason });
        this.opts.onSessionEnded?.(reason);
        return;
      }
      if (!opened && this.opts.checkSession) {
        // A refused upgrade says nothing in the browser: ask whether
        // the session still stands before trying again.
        void this.opts.checkSession().then((ok) => {
          if (this.stopped) return;
          if (ok) this.scheduleRetry();
          else {
            this.stopped = true;
            const reason = "Your session has ended. Please sign in again.";
            this.store.connection({ status: "ended", reason });
            this.opts.onSessionEnded?.(reason);
          }
        });
        return;
      }
      this.scheduleRetry();
    };
  }

  private take(m: StreamMessage): void {
    switch (m.type) {
      case "snapshot": {
        const offset = m.now ? Date.parse(m.now) - this.now() : undefined;
        this.store.snapshot(m.seq, m.agents ?? [], offset);
        this.live();
        break;
      }
      case "event":
        if (this.store.get().conn.status !== "live") this.live();
        this.store.event(m.seq, m.event, m.agents);
        break;
      case "reply": {
        const resolve = m.id ? this.pending.get(m.id) : undefined;
        if (m.id) this.pending.delete(m.id);
        if (m.now) this.store.connection({ offsetMs: Date.parse(m.now) - this.now() });
        resolve?.(m);
        break;
      }
      case "live":
        this.store.live(m.event);
        break;
    }
  }

  /** live marks the stream caught up and starts the heartbeat. */
  private live(): void {
    this.attempt = 0;
    this.store.connection({ status: "live", reason: undefined, retryAt: undefined });
    this.clearTimers();
    this.beatTimer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.opts.onLive?.();
  }

  /**
   * heartbeat asks the server for the agent's own floor over the socket;
   * a socket that does not answer in time is dead (a network can drop
   * without a close) and is replaced.
   */
  private heartbeat(): void {
    const ws = this.ws;
    if (!ws) return;
    clearTimeout(this.beatDeadline);
    this.beatDeadline = setTimeout(() => {
      if (this.ws !== ws) return;
      // A dead network may never finish a closing handshake: let the
      // socket go and reconnect at once.
      ws.onclose = null;
      ws.close(3000, "no answer");
      this.ws = undefined;
      this.clearTimers();
      this.pending.clear();
      if (!this.stopped) this.scheduleRetry();
    }, heartbeatTimeoutMs);
    void this.command("GET", "/api/v1/floor/me").then((m) => {
      clearTimeout(this.beatDeadline);
      if (m.status === 200 && m.body) this.store.mine(m.body as never);
    });
  }

  private scheduleRetry(): void {
    const delay = backoff[Math.min(this.attempt, backoff.length - 1)] ?? 8000;
    this.attempt++;
    const jitter = Math.floor(delay * 0.2 * Math.random());
    this.store.connection({ status: "lost", retryAt: this.now() + delay + jitter });
    this.retryTimer = setTimeout(() => this.connect(), delay + jitter);
  }

  private clearTimers(): void {
    clearInterval(this.beatTimer);
    clearTimeout(this.beatDeadline);
    clearTimeout(this.retryTimer);
  }
}
