// Mappings: why the agent is or is not offered calls and leads now, as
// the server works it out: their own state, each queue they are a member
// of, and each campaign with the leads it holds for them (their own and
// the pool's, now and later), and when none, why.
import { useEffect, useState } from "react";
import { api, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";

type Mappings = Schemas["Mappings"];
type Reason = Schemas["Reason"];

function Reasons({ reasons, ok }: { reasons: Reason[]; ok: string }) {
  if (reasons.length === 0) return <p className="mapping-ok">{ok}</p>;
  return (
    <ul className="mapping-reasons">
      {reasons.map((r) => (
        <li key={r.code}>{r.message}</li>
      ))}
    </ul>
  );
}

/** Who the mappings are about: the agent themselves (none), or an agent a supervisor looks at. */
export interface MappingsAgent {
  id: number;
  name: string;
}

export function MappingsDialog({ isOpen, onClose, agent }: { isOpen: boolean; onClose: () => void; agent?: MappingsAgent }) {
  const [m, setM] = useState<Mappings>();
  const [error, setError] = useState<string>();
  const id = agent?.id;
  useEffect(() => {
    if (!isOpen) return;
    setM(undefined);
    setError(undefined);
    const req =
      id === undefined
        ? api.GET("/api/v1/floor/me/mappings")
        : api.GET("/api/v1/floor/agents/{id}/mappings", { params: { path: { id } } });
    must(req)
      .then(setM)
      .catch((e: Error) => setError(e.message));
  }, [isOpen, id]);
  const you = agent === undefined;
  return (
    <Dialog title={you ? "Mappings: what reaches you" : `Why no calls: ${agent.name}`} isOpen={isOpen} onClose={onClose} wide>
      <ErrorText error={error} />
      {!m && !error && <p className="muted">Working it out…</p>}
      {m && (
        <div className="mappings">
          <section aria-label={you ? "You" : "The agent"}>
            <h3>{you ? "You" : "The agent"}</h3>
            <Reasons reasons={m.reasons} ok={you ? "You are free: calls and leads can reach you." : "Free: calls and leads can reach them."} />
          </section>
          <section aria-label="Queues">
            <h3>Queues</h3>
            {m.queues.length === 0 && <p className="muted">{you ? "You are" : "They are"} a member of no queue.</p>}
            {m.queues.map((q) => (
              <div key={q.queue_id} className="mapping">
                <div className="mapping-head">
                  <strong>
                    {q.name} ({q.number})
                  </strong>
                  <span className="muted">
                    penalty {q.penalty}
                    {q.waiting >= 0 && ` · ${q.waiting} waiting`}
                  </span>
                </div>
                <Reasons reasons={q.reasons} ok={you ? "Its calls are offered to you when you are free." : "Its calls are offered to them when they are free."} />
              </div>
            ))}
          </section>
          <section aria-label="Campaigns">
            <h3>Campaigns</h3>
            {m.campaigns.length === 0 && <p className="muted">{you ? "You are" : "They are"} a member of no campaign.</p>}
            {m.campaigns.map((c) => (
              <div key={c.campaign_id} className="mapping">
                <div className="mapping-head">
                  <strong>{c.name}</strong>
                  <span className="muted">
                    {c.type} · {c.active_lists} of {c.lists} lists active
                  </span>
                </div>
                <p className="muted small">
                  Leads for {you ? "you" : "them"} now: {c.leads.assigned_now} assigned, {c.leads.pool_now} from the pool · {c.leads.waiting} due later ·{" "}
                  {c.leads.open} open in all
                </p>
                <Reasons reasons={c.reasons} ok={you ? "Leads are there for you." : "Leads are there for them."} />
              </div>
            ))}
          </section>
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
