// Settings: the agent's own choices, where the Agent tab leaves them one.
import { Switch } from "react-aria-components";
import type { AgentView } from "../api/client";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import * as cmd from "./commands";

export function Settings({ agent, isOpen, onClose }: { agent: AgentView; isOpen: boolean; onClose: () => void }) {
  const set = useAction(cmd.setAutoAnswer);
  const notifications = typeof Notification !== "undefined" ? Notification.permission : "denied";
  return (
    <Dialog title="Settings" isOpen={isOpen} onClose={onClose}>
      {agent.auto_answer_setting === "optional" && (
        <Switch className="switch" isSelected={agent.auto_answer} onChange={(on) => void set.run(on)} isDisabled={set.busy}>
          <span className="switch-track" aria-hidden />
          Auto answer: calls connect by themselves after a short beep
        </Switch>
      )}
      <ErrorText error={set.error} />
      {typeof Notification !== "undefined" && (
        <div className="setting-row">
          <span>Desktop notifications for calls while this tab is hidden: {notifications === "granted" ? "on" : "off"}</span>
          {notifications === "default" && <Button onPress={() => void Notification.requestPermission()}>Turn on</Button>}
        </div>
      )}
      <div className="dialog-actions">
        <Button variant="primary" onPress={onClose}>
          Close
        </Button>
      </div>
    </Dialog>
  );
}
