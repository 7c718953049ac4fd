// Keypad: the twelve keys, for dialling and for DTMF during a call.
import { Button } from "../ui/Button";

const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export function Keypad({ onKey, label }: { onKey: (k: string) => void; label: string }) {
  return (
    <div className="keypad" role="group" aria-label={label}>
      {keys.map((k) => (
        <Button key={k} className="key" onPress={() => onKey(k)} aria-label={`Key ${k}`}>
          {k}
        </Button>
      ))}
    </div>
  );
}
