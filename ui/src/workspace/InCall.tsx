// InCall: the call the agent is on, who and where from, how long, and
// the in-call controls the Agent tab permits.
import { Grid3x3, Merge, Mic, MicOff, Pause, PhoneForwarded, PhoneOff, Play, Plus, Volume2, Check, X } from "lucide-react";
import { useState } from "react";
import type { AgentView, LineView } from "../api/client";
import { Elapsed } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { usePhone } from "../phone/phone";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { activeLine, consultations, directionLabel, otherParty } from "./calls";
import * as cmd from "./commands";
import { DialPad } from "./DialPad";
import { Keypad } from "./Keypad";
import { TransferDialog } from "./TransferDialog";

export function InCall({ agent }: { agent: AgentView }) {
  const line = activeLine(agent.lines);
  const [keypad, setKeypad] = useState(false);
  const [transfer, setTransfer] = useState(false);
  const [newLine, setNewLine] = useState(false);
  const act = useAction(async (f: () => Promise<unknown>) => f());
  // The page phone has its own volume control (PagePhone).
  const phone = usePhone().status;
  const pagePhone = phone !== "off" && phone !== "external";
  if (!line) return null;
  const p = agent.permissions;
  const id = line.call.id;
  const queue = line.queue_name;
  const consultFor = consultations.all()[id];
  const held = agent.lines.filter((l) => l.held);
  return (
    <section className="panel incall" aria-label="Current call">
      <div className="incall-head">
        <div>
          <div className="incall-party">{otherParty(line)}</div>
          <div className="incall-meta">
            {directionLabel[line.call.direction]}
            {queue && <> · {queue}</>}
            {!line.answered && <> · {line.outbound ? "calling…" : "ringing"}</>}
            {line.held && <> · on hold</>}
          </div>
        </div>
        <Elapsed from={line.since} className="incall-timer" label="Call duration" />
      </div>
      <div className="controls" role="group" aria-label="Call controls">
        {p.dtmf && (
          <Button onPress={() => setKeypad((k) => !k)} pressed={keypad} aria-label="Keypad">
            <Grid3x3 size={16} aria-hidden /> Keypad
          </Button>
        )}
        {p.hold &&
          (line.held ? (
            <Button onPress={() => void act.run(() => cmd.resume(id))} aria-label="Resume" shortcut="h" pressed>
              <Play size={16} aria-hidden /> Resume
            </Button>
          ) : (
            <Button onPress={() => void act.run(() => cmd.hold(id))} aria-label="Hold" shortcut="h" isDisabled={!line.answered}>
              <Pause size={16} aria-hidden /> Hold
            </Button>
          ))}
        {p.mute && <MuteButton line={line} run={act.run} />}
        {p.volume && !pagePhone && (
          <span className="volume-note" title="Your softphone sets the volume">
            <Volume2 size={16} aria-hidden /> Volume on your phone
          </span>
        )}
        {p.transfer && (
          <Button onPress={() => setTransfer(true)} isDisabled={!line.answered}>
            <PhoneForwarded size={16} aria-hidden /> Transfer
          </Button>
        )}
        {p.line && p.manual_dial && (
          <Button onPress={() => setNewLine(true)} aria-label="Add line">
            <Plus size={16} aria-hidden /> Line
          </Button>
        )}
        {p.conference && agent.lines.length > 1 && (
          <Button onPress={() => void act.run(() => cmd.conference(agent.lines.map((l) => l.call.id)))}>
            <Merge size={16} aria-hidden /> Conference
          </Button>
        )}
        {p.hangup && (
          <Button variant="danger" onPress={() => void act.run(() => cmd.hangup(id))} aria-label="Hang up" shortcut="x">
            <PhoneOff size={16} aria-hidden /> Hang up
          </Button>
        )}
      </div>
      {consultFor && line.answered && held.length > 0 && (
        <div className="consult" role="group" aria-label="Attended transfer">
          <span>Transfer: speaking to {otherParty(line)}, the caller is on hold.</span>
          <Button variant="primary" onPress={() => void act.run(() => cmd.completeTransfer(id))}>
            <Check size={16} aria-hidden /> Confirm transfer
          </Button>
          <Button onPress={() => void act.run(() => cmd.hangup(id))}>
            <X size={16} aria-hidden /> Cancel transfer
          </Button>
        </div>
      )}
      <ErrorText error={act.error} />
      {keypad && p.dtmf && <Keypad label="Send tones" onKey={(k) => void act.run(() => cmd.dtmf(id, k))} />}
      <TransferDialog callId={id} isOpen={transfer} onClose={() => setTransfer(false)} />
      <DialPad title="New line" isOpen={newLine} onClose={() => setNewLine(false)} />
    </section>
  );
}

function MuteButton({ line, run }: { line: LineView; run: (f: () => Promise<unknown>) => Promise<boolean> }) {
  const id = line.call.id;
  if (line.muted) {
    return (
      <Button onPress={() => void run(() => cmd.unmute(id))} aria-label="Unmute" shortcut="m" pressed>
        <MicOff size={16} aria-hidden /> Unmute
      </Button>
    );
  }
  return (
    <Button onPress={() => void run(() => cmd.mute(id))} aria-label="Mute" shortcut="m" isDisabled={!line.answered}>
      <Mic size={16} aria-hidden /> Mute
    </Button>
  );
}
