// Confirm asks before a destructive action, says what it affects, and
// shows the API's refusal if the action fails.
import { useState, type ReactNode } from "react";
import { message } from "../api/client";
import { Button } from "./Button";
import { Dialog } from "./Dialog";
import { ErrorText } from "./ErrorText";

export interface ConfirmProps {
  title: string;
  children: ReactNode;
  /** action names the button ("Delete"). */
  action: string;
  run: () => Promise<unknown>;
  /** onClose is told whether the action was done. */
  onClose: (done: boolean) => void;
}

export function Confirm({ title, children, action, run, onClose }: ConfirmProps) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      await run();
      onClose(true);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} isOpen onClose={() => onClose(false)}>
      <p>{children}</p>
      <ErrorText error={error} />
      <div className="dialog-actions">
        <Button onPress={() => onClose(false)}>Cancel</Button>
        <Button variant="danger" isDisabled={busy} onPress={() => void go()}>
          {action}
        </Button>
      </div>
    </Dialog>
  );
}
