// TransferDialog: "Transfer Now" hands the call over at once (blind);
// "Call First" holds it and calls the target on a new line, after which
// the agent confirms (the held party is connected to the target) or
// cancels (the consultation ends and the caller stays on hold).
import { PhoneForwarded, PhoneOutgoing } from "lucide-react";
import { useState } from "react";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { consultations } from "./calls";
import * as cmd from "./commands";
import { Lookup } from "./Lookup";

export function TransferDialog({ callId, isOpen, onClose }: { callId: string; isOpen: boolean; onClose: () => void }) {
  const [number, setNumber] = useState("");
  const doTransfer = useAction(async (id: string, to: string, mode: "blind" | "attended") => {
    const r = await cmd.transfer(id, to, mode);
    if (mode === "attended" && r.call_id) consultations.add(r.call_id, id);
  });
  const go = async (mode: "blind" | "attended") => {
    if (!number.trim()) return;
    if (await doTransfer.run(callId, number.trim(), mode)) {
      setNumber("");
      onClose();
    }
  };
  return (
    <Dialog title="Transfer" isOpen={isOpen} onClose={onClose}>
      <Lookup label="Transfer to" value={number} onChange={setNumber} autoFocus />
      <ErrorText error={doTransfer.error} />
      <div className="dialog-actions">
        <Button variant="quiet" onPress={onClose}>
          Cancel
        </Button>
        <Button onPress={() => void go("attended")} isDisabled={!number.trim() || doTransfer.busy}>
          <PhoneOutgoing size={16} aria-hidden /> Call First
        </Button>
        <Button variant="primary" onPress={() => void go("blind")} isDisabled={!number.trim() || doTransfer.busy}>
          <PhoneForwarded size={16} aria-hidden /> Transfer Now
        </Button>
      </div>
    </Dialog>
  );
}
