// DialPad: the dial window of the status toolbar, and the Line (+) window
// during a call (the same, placing a second call).
import { Phone } from "lucide-react";
import { useState } from "react";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import * as cmd from "./commands";
import { Keypad } from "./Keypad";
import { Lookup } from "./Lookup";

export function DialPad({ isOpen, onClose, title }: { isOpen: boolean; onClose: () => void; title: string }) {
  const [number, setNumber] = useState("");
  const doDial = useAction(cmd.dial);
  const submit = async () => {
    if (!number.trim()) return;
    if (await doDial.run(number.trim())) {
      setNumber("");
      onClose();
    }
  };
  return (
    <Dialog title={title} isOpen={isOpen} onClose={onClose}>
      <Lookup label="Number or name" value={number} onChange={setNumber} onSubmit={() => void submit()} autoFocus />
      <Keypad label="Dial keys" onKey={(k) => setNumber((n) => n + k)} />
      <ErrorText error={doDial.error} />
      <div className="dialog-actions">
        <Button variant="quiet" onPress={onClose}>
          Cancel
        </Button>
        <Button variant="primary" onPress={() => void submit()} isDisabled={doDial.busy || !number.trim()}>
          <Phone size={16} aria-hidden /> Call
        </Button>
      </div>
    </Dialog>
  );
}
