// LeadPanel: the campaign lead the agent is previewing or calling, as the
// server has it: name, number, the campaign's fields, the script with the
// lead's values filled in, and during a preview the countdown to the
// dial (kept on the server: it dials whether or not this page is open),
// Dial now and, when the campaign allows it, Skip.
import { Phone, Send, SkipForward, UserPen, UserPlus } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { api, must, type AgentView, type Schemas } from "../api/client";
import { Countdown } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { CustomerDialog } from "./CustomerDialog";

export type MyLead = Schemas["MyLead"];

const dialNow = () => must(api.POST("/api/v1/floor/me/preview/dial"));
const press = (buttonId: number) => must(api.POST("/api/v1/floor/me/lead/webhook", { body: { button_id: buttonId } }));
const skip = () => must(api.POST("/api/v1/floor/me/preview/skip"));

/** leadKey changes whenever the agent's lead may have changed: a new preview, a new campaign line or wrap-up. */
function leadKey(agent: AgentView): string {
  const line = agent.lines.find((l) => l.call.lead_id);
  // A lead shown again (a callback, a next number) is a new preview: since tells them apart.
  const preview = agent.preview ? `${agent.preview.lead_id}@${agent.since ?? ""}` : "";
  return [preview, line?.call.id ?? "", agent.wrapup?.call.lead_id ? agent.wrapup.call.id : ""].join("|");
}

export interface LeadState {
  lead?: MyLead;
  error?: string;
  /** reload reads the lead again (after an edit). */
  reload?: () => void;
}

/** useMyLead loads the agent's current lead again whenever it may have changed. */
export function useMyLead(agent: AgentView | undefined): LeadState {
  const key = agent ? leadKey(agent) : "||";
  const [state, setState] = useState<{ lead?: MyLead; error?: string }>({});
  const [version, setVersion] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (key === "||") {
      setState({});
      return;
    }
    const n = ++latest.current;
    must(api.GET("/api/v1/floor/me/lead"))
      .then((lead) => n === latest.current && setState({ lead }))
      .catch((e: Error) => n === latest.current && setState({ error: e.message }));
  }, [key, version]);
  return { ...state, reload: () => setVersion((v) => v + 1) };
}

export function LeadPanel({ agent, mine }: { agent: AgentView; mine: LeadState }) {
  const dial = useAction(dialNow);
  const skipLead = useAction(skip);
  const [customer, setCustomer] = useState<"edit" | "add">();
  const [pressed, setPressed] = useState<string>();
  const hook = useAction(async (id: number) => {
    const r = await press(id);
    setPressed(
      r.error
        ? `${r.label}: no answer (${r.error}).`
        : `${r.label}: ${r.ok ? "done" : "refused"}, ${r.status} in ${r.latency_ms} ms${r.excerpt ? ` · ${r.excerpt.slice(0, 120)}` : ""}`,
    );
  });
  const data = mine.lead;
  if (mine.error) return <ErrorText error={mine.error} />;
  if (!data?.lead || !data.campaign) {
    return agent.state === "preview" ? <p className="panel muted">Loading the lead…</p> : null;
  }
  const { lead, campaign } = data;
  const inPreview = agent.state === "preview" && data.dial_at;
  const failed = lead.numbers.filter((n) => n.failed).map((n) => n.number);
  return (
    <section className="panel lead-panel" aria-label="Campaign lead">
      <div className="panel-head">
        <div>
          <p className="muted small">{campaign.name}</p>
          <h2>{lead.name}</h2>
          <p className="lead-number">
            {data.number}
            {lead.numbers.length > 1 && <span className="muted small"> · number {lead.numbers.findIndex((n) => n.number === data.number) + 1} of {lead.numbers.length}</span>}
          </p>
        </div>
        {inPreview && data.dial_at && (
          <div className="lead-actions">
            <Countdown until={data.dial_at} className="countdown" label="Dialling in" suffix=" to dial" />
            <Button variant="primary" onPress={() => void dial.run()} isDisabled={dial.busy}>
              <Phone size={16} aria-hidden /> Dial now
            </Button>
            {campaign.skip_allowed && (
              <Button onPress={() => void skipLead.run()} isDisabled={skipLead.busy}>
                <SkipForward size={16} aria-hidden /> Skip
              </Button>
            )}
          </div>
        )}
      </div>
      <ErrorText error={dial.error ?? skipLead.error} />
      {(campaign.allow_edit_customer || campaign.allow_add_customer || campaign.webhook_buttons.length > 0) && (
        <div className="controls">
          {campaign.webhook_buttons.map((b) => (
            <Button key={b.id} onPress={() => void hook.run(b.id)} isDisabled={hook.busy}>
              <Send size={16} aria-hidden /> {b.label}
            </Button>
          ))}
          {campaign.allow_edit_customer && (
            <Button onPress={() => setCustomer("edit")}>
              <UserPen size={16} aria-hidden /> Edit customer
            </Button>
          )}
          {campaign.allow_add_customer && (
            <Button onPress={() => setCustomer("add")}>
              <UserPlus size={16} aria-hidden /> Add new customer
            </Button>
          )}
        </div>
      )}
      <ErrorText error={hook.error} />
      {pressed && (
        <p className="muted small" role="status" aria-label="Webhook result">
          {pressed}
        </p>
      )}
      <CustomerDialog
        mode={customer ?? "edit"}
        data={data}
        isOpen={customer !== undefined}
        onClose={(saved) => {
          setCustomer(undefined);
          if (saved) mine.reload?.();
        }}
      />
      <dl className="lead-fields">
        {campaign.fields.map((f) => (
          <div key={f.name}>
            <dt>{f.label}</dt>
            <dd>{lead.fields[f.name] || "—"}</dd>
          </div>
        ))}
        <div>
          <dt>Attempts</dt>
          <dd>{lead.attempts}</dd>
        </div>
        {lead.last_result && (
          <div>
            <dt>Last result</dt>
            <dd>{lead.last_result}</dd>
          </div>
        )}
        {failed.length > 0 && (
          <div>
            <dt>Failed numbers</dt>
            <dd>{failed.join(", ")}</dd>
          </div>
        )}
      </dl>
      {data.script && (
        <div className="lead-script" aria-label="Script" role="region">
          <h3 className="field-label">Script</h3>
          <p>{data.script}</p>
        </div>
      )}
    </section>
  );
}
