// The one store every component reads. It changes only from API answers
// and stream messages: the page keeps no other copy of agent or call state.
import { useSyncExternalStore } from "react";
import type { AgentView, FloorEvent, Me, MyFloor, PauseReason, Schemas } from "../api/client";

export type QueueStats = Schemas["QueueStats"];

export type AuthStatus = "checking" | "anonymous" | "signed_in";
export type ConnStatus = "idle" | "connecting" | "live" | "lost" | "ended";

export interface Connection {
  status: ConnStatus;
  /** Why the server ended the stream (shown to the person), if it did. */
  reason?: string;
  /** When the next reconnection attempt starts (ms since epoch, browser clock). */
  retryAt?: number;
  /** The account's sequence number of the last event received; -1 before the first snapshot. */
  lastSeq: number;
  /** serverTime - browserTime, measured when the stream (re)connects. */
  offsetMs: number;
}

/** Mine is what the agent's own page shows besides its agent view. */
export type Mine = Pick<MyFloor, "toolbar" | "incomplete">;

export interface FloorState {
  auth: { status: AuthStatus; me?: Me };
  conn: Connection;
  /** Agents by extension id, as the server last described them. */
  agents: Record<number, AgentView>;
  mine?: Mine;
  pauseReasons: PauseReason[];
  /** The last event received, for components that react to one. */
  lastEvent?: FloorEvent;
  /** Bumped whenever something the activity list shows may have changed. */
  activityVersion: number;
  /** The queues' live figures by queue id: read once, then from queue.stats events. */
  queueStats: Record<number, QueueStats>;
  /** Bumped whenever a campaign's figures may have changed (a campaign call's step, end or outcome). */
  campaignVersion: number;
  /** The participants' queue pauses: by extension id, the queues (by id) each is paused in, since when. */
  participantPauses: Record<number, Record<number, string>>;
}

export const initialState: FloorState = {
  auth: { status: "checking" },
  conn: { status: "idle", lastSeq: -1, offsetMs: 0 },
  agents: {},
  pauseReasons: [],
  activityVersion: 0,
  queueStats: {},
  campaignVersion: 0,
  participantPauses: {},
};

type Listener = () => void;

/** Store holds the state and tells subscribers when it changes. */
export class Store {
  private state: FloorState;
  private listeners = new Set<Listener>();
  /** framePending: a batched change waits for the next animation frame to be told. */
  private framePending = false;

  constructor(state: FloorState = initialState) {
    this.state = state;
    // A hidden page draws no frames: what waits is told when it shows.
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", () => this.framePending && this.notify());
  }

  get = (): FloorState => this.state;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /**
   * update changes the state; get() sees it at once. Subscribers are told
   * at once too, or, for a batched change on a visible page, once at the
   * next animation frame with everything that came before it: a board
   * taking hundreds of events a second redraws once a frame, not once an
   * event. A hidden page is told at once (a ringing call must not wait).
   */
  update(change: (s: FloorState) => FloorState, batched = false): void {
    const next = change(this.state);
    if (next === this.state) return;
    this.state = next;
    if (batched && typeof requestAnimationFrame === "function" && document.visibilityState === "visible") {
      if (!this.framePending) {
        this.framePending = true;
        requestAnimationFrame(() => this.framePending && this.notify());
      }
      return;
    }
    this.notify();
  }

  private notify(): void {
    this.framePending = false;
    for (const l of this.listeners) l();
  }

  signedIn(me: Me): void {
    this.update((s) => ({ ...s, auth: { status: "signed_in", me } }));
  }

  signedOut(reason?: string): void {
    this.update(() => ({
      ...initialState,
      auth: { status: "anonymous" },
      conn: { ...initialState.conn, status: reason ? "ended" : "idle", reason },
    }));
  }

  connection(change: Partial<Connection>): void {
    this.update((s) => ({ ...s, conn: { ...s.conn, ...change } }));
  }

  /** snapshot replaces every agent: the server's whole picture at seq. */
  snapshot(seq: number, agents: AgentView[], offsetMs?: number): void {
    this.update((s) => ({
      ...s,
      agents: Object.fromEntries(agents.map((a) => [a.extension_id, a])),
      conn: { ...s.conn, status: "live", reason: undefined, retryAt: undefined, lastSeq: seq, offsetMs: offsetMs ?? s.conn.offsetMs },
      activityVersion: s.activityVersion + 1,
    }));
  }

  /**
   * event takes one event in order; agents are the views the server sent
   * with it. An event at or before the last one is a repeat and ignored.
   */
  event(seq: number, ev: FloorEvent | undefined | null, agents: AgentView[] | undefined): void {
    this.update((s) => {
      if (seq <= s.conn.lastSeq) return s;
      const next = { ...s, conn: { ...s.conn, lastSeq: seq }, lastEvent: ev ?? s.lastEvent };
      if (agents && agents.length > 0) {
        next.agents = { ...s.agents };
        for (const a of agents) next.agents[a.extension_id] = a;
      }
      if (ev && touchesActivity(ev.type)) next.activityVersion = s.activityVersion + 1;
      if (ev && touchesCampaign(ev)) next.campaignVersion = s.campaignVersion + 1;
      if (ev && (ev.type === "participant.paused" || ev.type === "participant.unpaused") && ev.extension_id && ev.queue_id) {
        const mine = { ...(s.participantPauses[ev.extension_id] ?? {}) };
        if (ev.type === "participant.paused") mine[ev.queue_id] = ev.at;
        else delete mine[ev.queue_id];
        next.participantPauses = { ...s.participantPauses, [ev.extension_id]: mine };
      }
      return next;
    }, true);
  }

  mine(m: Mine): void {
    this.update((s) => ({ ...s, mine: { toolbar: m.toolbar, incomplete: m.incomplete } }));
  }

  /** live takes a live figure (not in the sequence): a queue's figures. */
  live(ev: FloorEvent | undefined | null): void {
    const q = ev?.type === "queue.stats" ? ev.queue_stats : undefined;
    if (!q) return;
    this.update((s) => ({ ...s, queueStats: { ...s.queueStats, [q.queue_id]: q } }));
  }

  /** participantsFrom takes the participants' queue pauses an API answer gave. */
  participantsFrom(list: { extension_id: number; paused: Record<string, string> }[]): void {
    const all: Record<number, Record<number, string>> = {};
    for (const p of list) all[p.extension_id] = Object.fromEntries(Object.entries(p.paused).map(([q, at]) => [Number(q), at]));
    this.update((s) => ({ ...s, participantPauses: all }));
  }

  /** queueStats takes the figures an API answer gave. */
  queueStatsFrom(list: QueueStats[]): void {
    this.update((s) => ({ ...s, queueStats: Object.fromEntries(list.map((q) => [q.queue_id, q])) }));
  }

  pauseReasons(list: PauseReason[]): void {
    this.update((s) => ({ ...s, pauseReasons: list }));
  }
}

function touchesActivity(t: FloorEvent["type"]): boolean {
  return (
    t === "call.ended" ||
    t === "disposition.submitted" ||
    t === "disposition.completed" ||
    t === "wrapup.started" ||
    t === "call.answered" ||
    t === "floor.midnight"
  );
}

/** touchesCampaign: the event is a step of a campaign call (placed, answered, abandoned, ended, disposed of). */
function touchesCampaign(ev: FloorEvent): boolean {
  if (ev.type === "call.record") return ev.record?.step === "campaign_attempt";
  return !!ev.call?.campaign_id && (ev.type === "call.ended" || ev.type === "call.dial_requested" || ev.type.startsWith("disposition."));
}

export const store = new Store();

/** useFloor reads a part of the store and re-renders when it changes. */
export function useFloor<T>(pick: (s: FloorState) => T): T {
  return useSyncExternalStore(store.subscribe, () => pick(store.get()));
}
