// Lines: every call the agent has, under the toolbar. Choosing a held
// line resumes it, which holds the others.
import { Pause, Phone } from "lucide-react";
import type { LineView } from "../api/client";
import { Elapsed } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { ErrorText } from "../ui/ErrorText";
import { otherParty } from "./calls";
import * as cmd from "./commands";
import { Button } from "../ui/Button";

export function Lines({ lines, canSwitch }: { lines: LineView[]; canSwitch: boolean }) {
  const act = useAction(cmd.resume);
  if (lines.length < 2) return null;
  return (
    <nav className="lines" aria-label="Lines">
      {lines.map((l, i) => (
        <Button
          key={l.call.id}
          variant="quiet"
          className={l.held ? "line" : "line is-active"}
          aria-current={l.held ? undefined : "true"}
          isDisabled={!l.held || !canSwitch || !l.answered}
          onPress={() => void act.run(l.call.id)}
          aria-label={`Line ${i + 1}: ${otherParty(l)}, ${l.held ? "on hold" : "active"}`}
        >
          {l.held ? <Pause size={14} aria-hidden /> : <Phone size={14} aria-hidden />}
          <span>Line {i + 1}</span>
          <span className="line-party">{otherParty(l)}</span>
          <Elapsed from={l.since} className="line-time" />
        </Button>
      ))}
      <ErrorText error={act.error} />
    </nav>
  );
}
