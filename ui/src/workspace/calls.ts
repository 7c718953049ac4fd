// What the page shows of a call, from its CallRef.
import type { LineView, Schemas } from "../api/client";

export type Direction = Schemas["Direction"];

export const directionLabel: Record<Direction, string> = {
  internal_in: "Internal call in",
  internal_out: "Internal call out",
  queue_in: "Queue call",
  campaign: "Campaign call",
  external_in: "Outside call in",
  external_out: "Outside call out",
};

/** otherParty is the number at the other end of a line, as the agent sees it. */
export function otherParty(l: Pick<LineView, "call" | "outbound">): string {
  const c = l.call;
  return (l.outbound ? c.to : c.from) || c.to || c.from || "unknown";
}

/** activeLine is the line the agent is talking on: the one not held, else the newest. */
export function activeLine(lines: LineView[]): LineView | undefined {
  return lines.find((l) => !l.held) ?? lines[lines.length - 1];
}

const consultKey = "callfloor.consultations";

/** Consultations remembers, across a reload, which lines are "Call First" calls of a transfer. */
export const consultations = {
  all(): Record<string, string> {
    try {
      return JSON.parse(sessionStorage.getItem(consultKey) ?? "{}") as Record<string, string>;
    } catch {
      return {};
    }
  },
  add(consultId: string, heldId: string): void {
    sessionStorage.setItem(consultKey, JSON.stringify({ ...this.all(), [consultId]: heldId }));
  },
  forget(live: string[]): void {
    const kept = Object.fromEntries(Object.entries(this.all()).filter(([id]) => live.includes(id)));
    sessionStorage.setItem(consultKey, JSON.stringify(kept));
  },
};
