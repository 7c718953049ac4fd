// Keyboard shortcuts: a key presses the visible control that declares it
// (data-shortcut), so a shortcut can do only what a click could.
import { useEffect } from "react";
import { Dialog } from "../ui/Dialog";
import { Button } from "../ui/Button";

export const shortcuts: { key: string; what: string }[] = [
  { key: "d", what: "Open the dial pad" },
  { key: "p", what: "Pause (choose a reason), or unpause" },
  { key: "h", what: "Hold or resume the current call" },
  { key: "m", what: "Mute or unmute" },
  { key: "x", what: "Hang up the current call" },
  { key: "Ctrl+Enter", what: "Submit the disposition" },
  { key: "?", what: "Show this list" },
];

function typing(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName);
}

/** useShortcuts presses the visible control that declares the key. */
export function useShortcuts(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (document.querySelector("[role=dialog]")) return;
      const key = e.key === "?" ? "?" : e.key.toLowerCase();
      const target = document.querySelector<HTMLElement>(`[data-shortcut="${CSS.escape(key)}"]:not([disabled]):not([data-disabled])`);
      if (target) {
        e.preventDefault();
        target.click();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}

export function ShortcutsHelp({ isOpen, onClose }: { isOpen: boolean; onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" isOpen={isOpen} onClose={onClose}>
      <table className="table shortcuts">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.key}>
              <td>
                <kbd>{s.key}</kbd>
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Calls ring on your softphone: answer them there. Keys do nothing while you type in a field.</p>
      <div className="dialog-actions">
        <Button variant="primary" onPress={onClose}>
          Close
        </Button>
      </div>
    </Dialog>
  );
}
