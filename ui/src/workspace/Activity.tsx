// Activity: the agent's most recent calls, newest first, from the server's
// call history: when, who, which way, the queue, the disposition, notes and
// tags. A number can be redialled; an incomplete disposition completed.
import { ArrowDownLeft, ArrowUpRight, Megaphone, PhoneIncoming, PhoneOutgoing, Users } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, must, type AgentView, type Schemas } from "../api/client";
import { useAction } from "../app/useAction";
import { useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { directionLabel, type Direction } from "./calls";
import * as cmd from "./commands";
import { categoryLabel, DispositionForm } from "./Disposition";

type Row = Schemas["CallView"];

function DirectionIcon({ d }: { d: Direction }) {
  const p = { size: 16, "aria-hidden": true } as const;
  switch (d) {
    case "internal_in":
      return <ArrowDownLeft {...p} />;
    case "internal_out":
      return <ArrowUpRight {...p} />;
    case "queue_in":
      return <Users {...p} />;
    case "campaign":
      return <Megaphone {...p} />;
    case "external_in":
      return <PhoneIncoming {...p} />;
    default:
      return <PhoneOutgoing {...p} />;
  }
}

function when(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

export function Activity({ agent }: { agent: AgentView }) {
  const version = useFloor((s) => s.activityVersion);
  const incomplete = useFloor((s) => s.mine?.incomplete);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [completing, setCompleting] = useState<Row>();
  const redial = useAction(cmd.dial);

  // Answers can arrive out of order: only the newest request's counts.
  const latest = useRef(0);
  const load = useCallback(async (before?: string) => {
    const n = ++latest.current;
    try {
      const page = await must(api.GET("/api/v1/floor/me/activity", { params: { query: { limit: "25", ...(before ? { before } : {}) } } }));
      if (n !== latest.current) return;
      setRows((old) => (before ? [...old, ...page.items] : page.items));
      setNext(page.next);
      setError(undefined);
    } catch (e) {
      if (n === latest.current) setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, version]);

  const canRedial = agent.permissions.redial && agent.permissions.manual_dial && agent.state === "idle";
  const outcomesOf = (callId: string) => incomplete?.find((i) => i.call.id === callId)?.outcomes ?? [];

  return (
    <section className="panel activity" aria-label="Most recent activity">
      <div className="panel-head">
        <h2>Most recent activity</h2>
      </div>
      <ErrorText error={error ?? redial.error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Number</th>
            <th scope="col">Queue</th>
            <th scope="col">Result</th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No calls yet.
              </td>
            </tr>
          )}
          {rows.map((r) => (
            <tr key={r.call_id + "/" + r.extension_id}>
              <td className="num">{when(r.start)}</td>
              <td>
                <span className="activity-number">
                  <span title={directionLabel[r.direction]}>
                    <DirectionIcon d={r.direction} />
                    <span className="visually-hidden">{directionLabel[r.direction]}</span>
                  </span>
                  {canRedial ? (
                    <Button variant="quiet" className="link" onPress={() => void redial.run(r.number)} aria-label={`Redial ${r.number}`}>
                      {r.number}
                    </Button>
                  ) : (
                    <span>{r.number}</span>
                  )}
                </span>
                {r.name && <div className="muted small">{r.name}</div>}
              </td>
              <td>{r.queue_name ?? ""}</td>
              <td>
                {r.incomplete ? (
                  <Button variant="quiet" className="link incomplete" onPress={() => setCompleting(r)} aria-label={`Complete the disposition of the call with ${r.number}`}>
                    Incomplete: complete
                  </Button>
                ) : r.category ? (
                  <span className={`result result-${r.category}`}>
                    {categoryLabel[r.category]}
                    {r.outcome && <> · {r.outcome}</>}
                  </span>
                ) : (
                  <span className="muted">{r.answered_at ? "" : "not answered"}</span>
                )}
              </td>
              <td className="activity-notes">
                {r.notes}
                {r.tags.length > 0 && (
                  <div className="tags">
                    {r.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <Button variant="quiet" onPress={() => void load(next)}>
          Show older calls
        </Button>
      )}
      <Dialog title="Complete the disposition" isOpen={!!completing} onClose={() => setCompleting(undefined)} wide>
        {completing && (
          <DispositionForm
            callId={completing.call_id}
            party={completing.number}
            outcomes={outcomesOf(completing.call_id)}
            notes={completing.notes}
            tags={completing.tags}
            title={`The call with ${completing.number} at ${when(completing.start)}`}
            onDone={() => setCompleting(undefined)}
          />
        )}
      </Dialog>
    </section>
  );
}
