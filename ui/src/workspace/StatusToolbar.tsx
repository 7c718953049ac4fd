// StatusToolbar: the agent's state and how long, and the controls the
// Agent tab permits for that state.
import { Grid3x3, HelpCircle, ListChecks, LogIn, LogOut, Pause, Play, Settings } from "lucide-react";
import { useState } from "react";
import { Menu, MenuItem, MenuTrigger, Popover } from "react-aria-components";
import type { AgentView } from "../api/client";
import { Elapsed } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import * as cmd from "./commands";
import { StateIcon, stateLabel } from "./state";

export interface StatusToolbarProps {
  agent: AgentView;
  onDial: () => void;
  onSettings: () => void;
  onHelp: () => void;
  /** onMappings opens the mappings: why calls and leads do or do not reach the agent. */
  onMappings?: () => void;
}

export function StatusToolbar({ agent, onDial, onSettings, onHelp, onMappings }: StatusToolbarProps) {
  const reasons = useFloor((s) => s.pauseReasons);
  const perm = agent.permissions;
  const doLogin = useAction(cmd.login);
  const doLogoff = useAction(cmd.logoff);
  const doPause = useAction(cmd.pause);
  const doUnpause = useAction(cmd.unpause);
  const [menuOpen, setMenuOpen] = useState(false);

  const loggedIn = agent.state !== "logged_off";
  const paused = agent.state === "paused";
  const threshold = paused ? (agent.pause?.threshold_seconds ?? 0) * 1000 : undefined;
  const canDial = perm.manual_dial && agent.state === "idle";
  const choosable = reasons.filter((r) => !r.system);
  const pendingPause = agent.pending.pause;
  const error = doLogin.error ?? doLogoff.error ?? doPause.error ?? doUnpause.error;

  return (
    <section className="toolbar" aria-label="Status toolbar">
      <div className={`status status-${agent.state}`} role="status" aria-label="Agent status">
        <StateIcon state={agent.state} />
        <span className="status-word">{stateLabel[agent.state]}</span>
        {paused && agent.pause && <span className="status-reason">{agent.pause.name}</span>}
        {loggedIn && (
          <Elapsed
            from={agent.since}
            thresholdMs={threshold}
            over={paused && agent.pause_over_threshold}
            className="status-timer"
            label="Time in this state"
          />
        )}
      </div>
      {canDial && (
        <Button variant="primary" onPress={onDial} aria-label="Dial pad" shortcut="d">
          <Grid3x3 size={16} aria-hidden /> Dial
        </Button>
      )}
      {(pendingPause || agent.pending.logoff) && (
        <span className="pending" role="note">
          {pendingPause ? `Pause (${pendingPause.name}) after this call` : "Log off after this call"}
        </span>
      )}
      <div className="toolbar-spacer" />
      <ErrorText error={error} />
      {loggedIn && perm.pause && !paused && !pendingPause && (
        <MenuTrigger isOpen={menuOpen} onOpenChange={setMenuOpen}>
          <Button aria-label="Pause" shortcut="p" isDisabled={choosable.length === 0}>
            <Pause size={16} aria-hidden /> Pause
          </Button>
          <Popover className="popover" placement="bottom end">
            <Menu
              className="menu"
              aria-label="Pause reasons"
              onAction={(key) => void doPause.run(Number(key))}
              items={choosable}
            >
              {(r) => (
                <MenuItem className="menu-item" id={r.id} textValue={r.name}>
                  <span>{r.name}</span>
                  <span className="menu-hint">{r.productive ? "productive" : "unproductive"}</span>
                </MenuItem>
              )}
            </Menu>
          </Popover>
        </MenuTrigger>
      )}
      {loggedIn && (paused || pendingPause) && (
        <Button variant="primary" onPress={() => void doUnpause.run()} isDisabled={doUnpause.busy} shortcut="p">
          <Play size={16} aria-hidden /> {paused ? "Unpause" : "Cancel pause"}
        </Button>
      )}
      {!loggedIn && (
        <Button variant="primary" onPress={() => void doLogin.run()} isDisabled={doLogin.busy}>
          <LogIn size={16} aria-hidden /> Log in
        </Button>
      )}
      {loggedIn && perm.logoff && !agent.pending.logoff && (
        <Button onPress={() => void doLogoff.run()} isDisabled={doLogoff.busy}>
          <LogOut size={16} aria-hidden /> Log off
        </Button>
      )}
      {onMappings && (
        <Button variant="ghost" onPress={onMappings} aria-label="Mappings">
          <ListChecks size={18} aria-hidden />
        </Button>
      )}
      {agent.auto_answer_setting === "optional" && (
        <Button variant="ghost" onPress={onSettings} aria-label="Settings">
          <Settings size={18} aria-hidden />
        </Button>
      )}
      <Button variant="ghost" onPress={onHelp} aria-label="Keyboard shortcuts" shortcut="?">
        <HelpCircle size={18} aria-hidden />
      </Button>
    </section>
  );
}
