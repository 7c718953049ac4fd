// Workspace: the agent's screen. The status toolbar on top, the lines
// under it, today's figures, then the call (or the disposition, or what
// to do next) beside the agent's recent activity.
import { useEffect, useRef, useState } from "react";
import type { AgentView } from "../api/client";
import { clockTime } from "../app/time";
import { refreshMine } from "../app/session";
import { useFloor } from "../stream/store";
import { Activity } from "./Activity";
import { activeLine, otherParty } from "./calls";
import { CallNotes } from "./CallNotes";
import { DialPad } from "./DialPad";
import { DispositionForm } from "./Disposition";
import { InCall } from "./InCall";
import { Lines } from "./Lines";
import { PagePhone } from "./PagePhone";
import { Performance } from "./Performance";
import { Settings } from "./Settings";
import { ShortcutsHelp, useShortcuts } from "./Shortcuts";
import { StatusToolbar } from "./StatusToolbar";
import { useMyAgent } from "./useMe";
import { LeadPanel, type LeadState, useMyLead } from "./LeadPanel";
import { MappingsDialog } from "./Mappings";

export function Workspace() {
  const agent = useMyAgent();
  const mine = useFloor((s) => s.mine);
  const activityVersion = useFloor((s) => s.activityVersion);
  useEffect(() => {
    // A call ended or a disposition arrived: today's figures changed.
    void refreshMine();
  }, [activityVersion]);
  const [dial, setDial] = useState(false);
  const [settings, setSettings] = useState(false);
  const [help, setHelp] = useState(false);
  const [mappings, setMappings] = useState(false);
  useShortcuts(!!agent);
  useCallNotifications(agent);
  const notice = useLogoffNotice(agent);
  const lead = useMyLead(agent);
  if (!agent) {
    return (
      <main className="workspace" aria-busy="true">
        <p className="muted center">Loading your workspace…</p>
      </main>
    );
  }
  const onCampaignCall = agent.lines.length > 0 && !!activeLine(agent.lines)?.call.lead_id;
  return (
    <main className="workspace" aria-label="Agent Workspace">
      <h1 className="visually-hidden">Agent Workspace</h1>
      <StatusToolbar agent={agent} onDial={() => setDial(true)} onSettings={() => setSettings(true)} onHelp={() => setHelp(true)} onMappings={() => setMappings(true)} />
      <PagePhone />
      <Lines lines={agent.lines} canSwitch={agent.permissions.hold} />
      {notice && (
        <div className="notice" role="status">
          {notice}
        </div>
      )}
      {!agent.phone_registered && agent.state !== "logged_off" && (
        <div className="notice notice-warn" role="status">
          {agent.phone_engine === "webrtc"
            ? "This page's phone is not ready: no call is offered to you until it is."
            : `Your softphone (${agent.number}) is not registered: no call can reach you until it is.`}
        </div>
      )}
      <Performance counters={mine?.toolbar} />
      <div className="workspace-main">
        <div className="workspace-call">
          <Current agent={agent} lead={lead} />
        </div>
        <div className="workspace-side">
          {/* On a campaign call the lead (fields, script, its buttons) sits on the right, beside the call and its notes. */}
          {onCampaignCall && <LeadPanel agent={agent} mine={lead} />}
          <Activity agent={agent} />
        </div>
      </div>
      <DialPad title="Dial" isOpen={dial} onClose={() => setDial(false)} />
      <Settings agent={agent} isOpen={settings} onClose={() => setSettings(false)} />
      <ShortcutsHelp isOpen={help} onClose={() => setHelp(false)} />
      <MappingsDialog isOpen={mappings} onClose={() => setMappings(false)} />
    </main>
  );
}

/** Current is what the middle of the screen shows for the agent's state. */
function Current({ agent, lead: mine }: { agent: AgentView; lead: LeadState }) {
  if (agent.lines.length > 0) {
    const line = activeLine(agent.lines);
    return (
      <>
        <InCall agent={agent} />
        {line && <CallNotes callId={line.call.id} saved={line.notes} />}
      </>
    );
  }
  if (agent.state === "preview") {
    return <LeadPanel agent={agent} mine={mine} />;
  }
  if (agent.state === "wrapup" && agent.wrapup) {
    const w = agent.wrapup;
    const callbacks = mine.lead?.campaign?.outcomes.filter((o) => o.next === "callback").map((o) => o.name) ?? [];
    return (
      <DispositionForm
        callbackNames={w.call.lead_id ? callbacks : []}
        callId={w.call.id}
        party={otherParty({ call: w.call, outbound: w.call.direction.endsWith("_out") })}
        outcomes={w.outcomes}
        dueAt={w.due_at}
        notes={w.notes?.notes}
        tags={w.notes?.tags}
      />
    );
  }
  const text: Record<string, string> = {
    logged_off: "You are logged off. Log in to take and make calls.",
    idle: "Ready for the next call.",
    paused: "Paused: no calls reach you until you unpause.",
    ringing: "A call is ringing.",
    preview: "Looking at a campaign lead.",
    wrapup: "Wrap-up.",
    on_call: "On a call.",
  };
  return (
    <section className="panel idle-panel" aria-label="Next">
      <p>{text[agent.state]}</p>
      {agent.waiting_dispositions > 0 && <p>{agent.waiting_dispositions} more call(s) wait for a disposition.</p>}
    </section>
  );
}

/** useLogoffNotice says why the agent was logged off, when it was not their own doing. */
function useLogoffNotice(agent: AgentView | undefined): string | undefined {
  const ev = useFloor((s) => s.lastEvent);
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    if (!ev || !agent || ev.extension_id !== agent.extension_id) return;
    if (ev.type === "agent.logged_off" && ev.logoff_reason === "supervisor") {
      setNotice(`A supervisor logged you off at ${clockTime(ev.at)}.`);
    } else if (ev.type === "agent.logged_off" && ev.logoff_reason === "midnight") {
      setNotice(`You were logged off at midnight, as every day. Log in to start the new day.`);
    } else if (ev.type === "agent.pending" && ev.pending?.logoff === "supervisor") {
      setNotice("A supervisor is logging you off: it takes effect when this call ends.");
    } else if (ev.type === "agent.logged_in") {
      setNotice(undefined);
    }
  }, [ev, agent]);
  return notice;
}

/** useCallNotifications shows a desktop notification for a call that rings while the tab is hidden. */
function useCallNotifications(agent: AgentView | undefined): void {
  const ev = useFloor((s) => s.lastEvent);
  const shown = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!ev || !agent || ev.type !== "call.offered" || ev.extension_id !== agent.extension_id) return;
    if (!document.hidden || typeof Notification === "undefined" || Notification.permission !== "granted") return;
    if (!ev.call || shown.current === ev.call.id) return;
    shown.current = ev.call.id;
    const n = new Notification("Incoming call", { body: `${ev.call.from ?? "A caller"} is ringing your phone`, tag: ev.call.id });
    n.onclick = () => window.focus();
  }, [ev, agent]);
}

