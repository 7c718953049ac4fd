// Webhooks: the administrators' integrated system webhooks. Each
// endpoint has its URL, the event types it takes (none: all), the whole
// account or one participant's calls (a device-level webhook), and its
// health: the last success and failure, and the messages waiting. The
// signing secret is shown once, when made or rotated. Per endpoint: send
// a test event, rotate the secret, and read its deliveries, attempt by
// attempt, with a replay of everything since a time.
import { History, KeyRound, Send } from "lucide-react";
import { useEffect, useState } from "react";
import { localDateTime } from "../app/time";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { CrudPage } from "./Crud";
import { Check, errorUnder, Field, SelectInput, TextInput } from "./form";

type Endpoint = Schemas["WebhookEndpoint"];
type Attempt = Schemas["WebhookAttempt"];

const listEndpoints = async () => (await must(api.GET("/api/v1/webhook-endpoints"))).items;


/** age says a number of seconds in words. */
export function age(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** health says how an endpoint is doing, in a few words. */
export function health(e: Endpoint): string {
  if (!e.enabled) return e.disabled_reason ? `Disabled: ${e.disabled_reason}` : "Off";
  const parts = [e.backlog > 0 ? `${e.backlog} waiting, the oldest ${age(e.backlog_age_seconds)}` : "Up to date"];
  if (e.last_failure_at && (!e.last_success_at || e.last_failure_at > e.last_success_at)) parts.push(`failing since ${localDateTime(e.last_failure_at, "short", "medium")}`);
  else if (e.last_success_at) parts.push(`last delivered ${localDateTime(e.last_success_at, "short", "medium")}`);
  return parts.join("; ");
}

interface Draft {
  url: string;
  description: string;
  types: string[];
  extension: string;
  enabled: boolean;
}

export function WebhooksPage() {
  const [types, setTypes] = useState<string[]>([]);
  const [participants, setParticipants] = useState<Schemas["Extension"][]>([]);
  const [secret, setSecret] = useState<{ url: string; secret: string }>();
  const [log, setLog] = useState<Endpoint>();
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    void Promise.all([must(api.GET("/api/v1/webhook-endpoints/event-types")), must(api.GET("/api/v1/extensions"))]).then(([t, x]) => {
      setTypes(t.items);
      setParticipants(x.items.filter((e) => e.queues_feature && !e.agent.enabled));
    });
  }, []);
  const extName = (id?: number | null) => {
    const e = participants.find((x) => x.id === id);
    return e ? `${e.number} ${e.name}` : `extension ${id}`;
  };
  return (
    <>
      <CrudPage<Endpoint, Draft>
        title="Webhooks"
        noun="webhook endpoint"
        list={listEndpoints}
        rowName={(e) => e.url}
        intro={
          <>
            <p className="muted">
              Every event of the floor, signed (Standard Webhooks), to your systems. A message that fails is retried for about three days, in order for each agent.
            </p>
            {notice && (
              <p className="muted" role="status">
                {notice}
              </p>
            )}
          </>
        }
        columns={[
          { label: "URL", cell: (e) => <span className="break">{e.url}</span> },
          { label: "Description", cell: (e) => e.description },
          { label: "Events", cell: (e) => (e.event_types.length === 0 ? "All" : `${e.event_types.length} types`) },
          { label: "For", cell: (e) => (e.extension_id ? `${extName(e.extension_id)}'s calls` : "The account") },
          {
            label: "Health",
            cell: (e) => <span className={!e.enabled && e.disabled_reason ? "field-error" : undefined}>{health(e)}</span>,
          },
        ]}
        actions={(e, reload) => (
          <>
            <Button
              variant="ghost"
              aria-label={`Send a test event to ${e.url}`}
              onPress={() =>
                void must(api.POST("/api/v1/webhook-endpoints/{id}/test", { params: { path: { id: e.id } } }))
                  .then((q) => setNotice(`Test message ${q.message_id} queued for ${e.url}.`))
                  .catch((err: unknown) => setNotice(message(err)))
                  .finally(reload)
              }
            >
              <Send size={16} aria-hidden />
            </Button>
            <Button
              variant="ghost"
              aria-label={`Rotate the secret of ${e.url}`}
              onPress={() =>
                void must(api.POST("/api/v1/webhook-endpoints/{id}/rotate-secret", { params: { path: { id: e.id } }, body: {} }))
                  .then((w) => setSecret({ url: w.url, secret: w.secret }))
                  .catch((err: unknown) => setNotice(message(err)))
                  .finally(reload)
              }
            >
              <KeyRound size={16} aria-hidden />
            </Button>
            <Button variant="ghost" aria-label={`Deliveries to ${e.url}`} onPress={() => setLog(e)}>
              <History size={16} aria-hidden />
            </Button>
          </>
        )}
        draft={(e) => ({
          url: e?.url ?? "https://",
          description: e?.description ?? "",
          types: e?.event_types ?? [],
          extension: e?.extension_id ? String(e.extension_id) : "",
          enabled: e?.enabled ?? true,
        })}
        form={(d, set, err) => (
          <>
            <TextInput label="URL" value={d.url} onChange={(url) => set({ ...d, url })} error={err.url} required />
            <TextInput label="Description" value={d.description} onChange={(description) => set({ ...d, description })} error={err.description} />
            <SelectInput
              label="Sends"
              value={d.extension}
              onChange={(extension) => set({ ...d, extension })}
              options={[
                { value: "", label: "The account's events" },
                ...participants.map((x) => ({ value: String(x.id), label: `Only the calls of participant ${x.number} ${x.name} (device-level)` })),
              ]}
              error={err.extension_id}
            />
            <Field label="Event types (none ticked: all)" error={errorUnder(err, "event_types")}>
              {({ describedBy }) => (
                <div className="check-grid" role="group" aria-label="Event types" aria-describedby={describedBy}>
                  {types.map((t) => (
                    <Check
                      key={t}
                      label={t}
                      checked={d.types.includes(t)}
                      onChange={(on) => set({ ...d, types: on ? [...d.types, t] : d.types.filter((x) => x !== t) })}
                    />
                  ))}
                </div>
              )}
            </Field>
            <Check label="Enabled" checked={d.enabled} onChange={(enabled) => set({ ...d, enabled })} />
          </>
        )}
        save={async (d, e) => {
          const body = {
            url: d.url.trim(),
            description: d.description,
            event_types: d.types as Endpoint["event_types"],
            extension_id: d.extension ? Number(d.extension) : null,
            enabled: d.enabled,
          };
          if (e) await must(api.PATCH("/api/v1/webhook-endpoints/{id}", { params: { path: { id: e.id } }, body }));
          else {
            const made = await must(api.POST("/api/v1/webhook-endpoints", { body }));
            setSecret({ url: made.url, secret: made.secret });
          }
        }}
        remove={(e) => must(api.DELETE("/api/v1/webhook-endpoints/{id}", { params: { path: { id: e.id } } }))}
        removeText={(e) =>
          `${e.url} gets no more events. Its ${e.backlog} waiting messages and its delivery log are deleted; events already delivered are not affected.`
        }
      />
      {secret && (
        <Dialog title="Signing secret" isOpen onClose={() => setSecret(undefined)}>
          <p>
            The signing secret of {secret.url} is shown this once. Keep it where your receiver checks the <code>webhook-signature</code> header.
          </p>
          <p>
            <code className="secret" aria-label="Signing secret">
              {secret.secret}
            </code>
          </p>
          <div className="dialog-actions">
            <Button variant="primary" onPress={() => setSecret(undefined)}>
              Done
            </Button>
          </div>
        </Dialog>
      )}
      {log && <Deliveries endpoint={log} onClose={() => setLog(undefined)} />}
    </>
  );
}

/** Deliveries is an endpoint's attempt log, newest first, with a replay since a time. */
function Deliveries({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const [items, setItems] = useState<Attempt[]>();
  const [next, setNext] = useState<string | null>();
  const [error, setError] = useState<string>();
  const [since, setSince] = useState("");
  const [note, setNote] = useState<string>();
  const load = (before?: string) =>
    must(api.GET("/api/v1/webhook-endpoints/{id}/attempts", { params: { path: { id: endpoint.id }, query: { limit: "50", before } } }))
      .then((p) => {
        setItems((old) => (before ? [...(old ?? []), ...p.items] : p.items));
        setNext(p.next);
      })
      .catch((e: unknown) => setError(message(e)));
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [endpoint.id]);
  const replay = async (body: { message_id?: string; since?: string }) => {
    setError(undefined);
    try {
      const r = await must(api.POST("/api/v1/webhook-endpoints/{id}/replay", { params: { path: { id: endpoint.id } }, body }));
      setNote(`${r.queued} messages queued again${r.truncated ? " (the most one replay sends)" : ""}.`);
      void load();
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <Dialog title={`Deliveries to ${endpoint.url}`} isOpen onClose={onClose} wide>
      <div className="form-row align-end" role="group" aria-label="Replay">
        <label className="field">
          <span className="field-label">Send again every event since</span>
          <input type="datetime-local" className="input" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <Button isDisabled={!since} onPress={() => void replay({ since: new Date(since).toISOString() })}>
          Replay
        </Button>
      </div>
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      <ErrorText error={error} />
      <table className="table" aria-label="Delivery attempts">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Message</th>
            <th scope="col">Event</th>
            <th scope="col" className="num">
              Try
            </th>
            <th scope="col">Answer</th>
            <th scope="col" className="num">
              Took
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((a) => (
            <tr key={a.id}>
              <th scope="row">{localDateTime(a.at, "short", "medium")}</th>
              <td className="small">{a.message_id}</td>
              <td>{a.event_type}</td>
              <td className="num">{a.attempt}</td>
              <td title={a.response}>
                <span className={a.outcome === "delivered" ? undefined : "field-error"}>{a.status ? `${a.status}` : a.error}</span>{" "}
                <span className="muted small">
                  {a.outcome}
                  {a.next_attempt_at ? `, next try ${localDateTime(a.next_attempt_at, "short", "medium")}` : ""}
                </span>
              </td>
              <td className="num">{a.latency_ms} ms</td>
              <td>
                <Button variant="ghost" aria-label={`Send ${a.message_id} again`} onPress={() => void replay({ message_id: a.message_id })}>
                  <Send size={16} aria-hidden />
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items && items.length === 0 && <p className="muted">No delivery yet.</p>}
      {next && <Button onPress={() => void load(next)}>Older attempts</Button>}
      <div className="dialog-actions">
        <Button onPress={onClose}>Close</Button>
      </div>
    </Dialog>
  );
}
