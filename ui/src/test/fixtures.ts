// Agents as the server describes them, for the tests.
import type { AgentView } from "../api/client";

export const allPermissions: AgentView["permissions"] = {
  conference: true,
  dtmf: true,
  hangup: true,
  hold: true,
  line: true,
  logoff: true,
  manual_dial: true,
  mute: true,
  pause: true,
  redial: true,
  transfer: true,
  volume: true,
};

export function agent(over: Partial<AgentView> = {}): AgentView {
  return {
    extension_id: 7,
    number: "203",
    name: "Cal Agent",
    state: "idle",
    since: "2026-12-03T10:00:00Z",
    login_at: "2026-12-03T09:00:00Z",
    pause: null,
    pause_over_threshold: false,
    pending: {},
    auto_answer: false,
    auto_answer_setting: "off",
    phone_registered: true,
    phone_engine: "external",
    permissions: allPermissions,
    lines: [],
    wrapup: null,
    waiting_dispositions: 0,
    preview: null,
    calls_today: 0,
    ...over,
  };
}
