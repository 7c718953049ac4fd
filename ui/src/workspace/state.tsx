// How an agent's state reads: a word and an icon, never colour alone.
import { CircleCheck, CirclePause, CircleX, Eye, NotebookPen, PhoneCall, PhoneIncoming } from "lucide-react";
import type { AgentState } from "../api/client";

export const stateLabel: Record<AgentState, string> = {
  logged_off: "Logged off",
  idle: "Available",
  ringing: "Ringing",
  on_call: "On call",
  wrapup: "Wrap-up",
  paused: "Paused",
  preview: "Preview",
};

export function StateIcon({ state, size = 18 }: { state: AgentState; size?: number }) {
  const p = { size, "aria-hidden": true } as const;
  switch (state) {
    case "idle":
      return <CircleCheck {...p} />;
    case "ringing":
      return <PhoneIncoming {...p} />;
    case "on_call":
      return <PhoneCall {...p} />;
    case "wrapup":
      return <NotebookPen {...p} />;
    case "paused":
      return <CirclePause {...p} />;
    case "preview":
      return <Eye {...p} />;
    default:
      return <CircleX {...p} />;
  }
}
