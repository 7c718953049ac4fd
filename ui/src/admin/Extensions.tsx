// Extensions: the administrators' page of the account's extensions. The
// list says what each is (agent, participant, plain extension); a dialog
// creates or edits one: its number and name, its SIP credentials (shown
// once, when made or reset), and its Agent tab as the manual has it: on
// an account without agent activation it cannot be enabled, and says so;
// enabled, it sets the phone engine, the outbound queue, the permission
// of each in-call control, auto answer, the wrap-up timeout and the
// caller-ID pool.
import { KeyRound, Pencil, Plus, Trash2 } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { Confirm } from "../ui/Confirm";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { Check, SelectInput, TextInput, useFieldErrors } from "./form";

type Extension = Schemas["Extension"];
type AgentSettings = Schemas["AgentSettings"];
type Permissions = Schemas["Permissions"];

const permissionLabels: [keyof Permissions, string][] = [
  ["manual_dial", "Manual dial"],
  ["dtmf", "DTMF keypad"],
  ["hold", "Hold"],
  ["mute", "Mute"],
  ["volume", "Volume"],
  ["transfer", "Transfer"],
  ["hangup", "Hang up"],
  ["line", "Line (a second call)"],
  ["conference", "Conference"],
  ["pause", "Pause"],
  ["logoff", "Log off"],
  ["redial", "Redial"],
];

function kindOf(e: Extension): string {
  if (e.agent.enabled) return "Agent";
  if (e.queues_feature) return "Participant";
  return "Extension";
}

const statusText: Record<string, string> = {
  not_activated: "not activated",
  not_enabled: "not enabled",
  enabled: "enabled",
};

export function ExtensionsPage() {
  const [list, setList] = useState<Extension[]>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<Extension | "new">();
  const [deleting, setDeleting] = useState<Extension>();
  const load = useCallback(() => {
    must(api.GET("/api/v1/extensions"))
      .then((l) => setList(l.items))
      .catch((e: unknown) => setError(message(e)));
  }, []);
  useEffect(load, [load]);
  return (
    <section className="board" aria-label="Extensions">
      <div className="panel-head">
        <h1 className="page-title">Extensions</h1>
        <Button variant="primary" onPress={() => setEditing("new")}>
          <Plus size={16} aria-hidden /> New extension
        </Button>
      </div>
      <ErrorText error={error} />
      <table className="table" aria-label="Extensions">
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Agent tab</th>
            <th scope="col">Phone</th>
            <th scope="col">SIP username</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list ?? []).map((e) => (
            <tr key={e.id}>
              <th scope="row">{e.number}</th>
              <td>{e.name}</td>
              <td>{kindOf(e)}</td>
              <td>{statusText[e.agent_status] ?? e.agent_status}</td>
              <td>{e.agent.enabled ? (e.agent.phone_engine === "webrtc" ? "the page (WebRTC)" : "a softphone") : ""}</td>
              <td className="mono small">{e.sip_username}</td>
              <td className="row-actions">
                <Button variant="ghost" aria-label={`Edit extension ${e.number}`} onPress={() => setEditing(e)}>
                  <Pencil size={16} aria-hidden />
                </Button>
                <Button variant="ghost" aria-label={`Delete extension ${e.number}`} onPress={() => setDeleting(e)}>
                  <Trash2 size={16} aria-hidden />
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <ExtensionDialog
          start={editing === "new" ? undefined : editing}
          onClose={() => {
            setEditing(undefined);
            load();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete extension ${deleting.number}?`}
          action="Delete"
          run={() => must(api.DELETE("/api/v1/extensions/{id}", { params: { path: { id: deleting.id } } }))}
          onClose={(done) => {
            setDeleting(undefined);
            if (done) load();
          }}
        >
          {deleting.name} ({deleting.number}) goes for good: its phone can no longer register, and it leaves its queues and campaigns.
          {deleting.agent.enabled && " Its agent's past calls stay in the reports."}
        </Confirm>
      )}
    </section>
  );
}

interface Choices {
  queues: Schemas["Queue"][];
  pools: Schemas["CallerIDPool"][];
}

function useChoices(): Choices {
  const [c, setC] = useState<Choices>({ queues: [], pools: [] });
  useEffect(() => {
    void Promise.all([must(api.GET("/api/v1/queues")), must(api.GET("/api/v1/caller-id-pools"))]).then(([q, p]) =>
      setC({ queues: q.items, pools: p.items }),
    );
  }, []);
  return c;
}

function ExtensionDialog({ start, onClose }: { start?: Extension; onClose: () => void }) {
  const [ext, setExt] = useState<Extension | undefined>(start);
  const [number, setNumber] = useState(start?.number ?? "");
  const [name, setName] = useState(start?.name ?? "");
  const [queues, setQueues] = useState(start?.queues_feature ?? false);
  const [secret, setSecret] = useState<string>();
  const general = useFieldErrors();
  const choices = useChoices();

  const saveGeneral = async () => {
    general.clear();
    try {
      if (!ext) {
        const made = await must(api.POST("/api/v1/extensions", { body: { number, name, queues_feature: queues } }));
        setSecret(made.sip_secret);
        setExt(made);
      } else {
        setExt(await must(api.PATCH("/api/v1/extensions/{id}", { params: { path: { id: ext.id } }, body: { number, name, queues_feature: queues } })));
      }
    } catch (e) {
      general.take(e);
    }
  };
  const resetSecret = async () => {
    if (!ext) return;
    try {
      const c = await must(api.POST("/api/v1/extensions/{id}/sip-secret", { params: { path: { id: ext.id } } }));
      setSecret(c.sip_secret);
    } catch (e) {
      general.take(e);
    }
  };
  return (
    <Dialog title={ext ? `Extension ${ext.number}` : "New extension"} isOpen onClose={onClose} wide>
      <form
        className="admin-form"
        aria-label="General"
        onSubmit={(e) => {
          e.preventDefault();
          void saveGeneral();
        }}
      >
        <h3>General</h3>
        <div className="form-row">
          <TextInput label="Number" value={number} onChange={setNumber} error={general.errors.number} required />
          <TextInput label="Name" value={name} onChange={setName} error={general.errors.name} />
        </div>
        <Check
          label="Queues feature (may be a queue member: a participant)"
          checked={queues || !!ext?.agent.enabled}
          onChange={setQueues}
          error={general.errors.queues_feature}
        />
        <ErrorText error={general.errors[""]} />
        <div className="dialog-actions">
          <Button type="submit" variant="primary">
            {ext ? "Save" : "Create"}
          </Button>
        </div>
      </form>
      {ext && (
        <section className="admin-form" aria-label="SIP credentials">
          <h3>SIP credentials</h3>
          <p className="small">
            Username <span className="mono">{ext.sip_username}</span>
          </p>
          {secret ? (
            <p className="secret" role="status">
              Secret <span className="mono">{secret}</span> — shown this once: copy it into the phone now.
            </p>
          ) : (
            <Button onPress={() => void resetSecret()}>
              <KeyRound size={16} aria-hidden /> Set a new secret
            </Button>
          )}
        </section>
      )}
      {ext && <AgentTab ext={ext} choices={choices} onSaved={setExt} />}
      <div className="dialog-actions">
        <Button onPress={onClose}>Close</Button>
      </div>
    </Dialog>
  );
}

export function AgentTab({ ext, choices, onSaved }: { ext: Extension; choices: Choices; onSaved: (e: Extension) => void }) {
  const [a, setA] = useState<AgentSettings>(ext.agent);
  const [saved, setSaved] = useState(false);
  const errs = useFieldErrors();
  const set = (change: Partial<AgentSettings>) => {
    setSaved(false);
    setA({ ...a, ...change });
  };
  const save = async () => {
    errs.clear();
    try {
      const e = await must(api.PUT("/api/v1/extensions/{id}/agent", { params: { path: { id: ext.id } }, body: a }));
      onSaved(e);
      setA(e.agent);
      setSaved(true);
    } catch (e) {
      errs.take(e, "agent.");
    }
  };
  const e = errs.errors;
  return (
    <form
      className="admin-form"
      aria-label="Agent tab"
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <h3>Agent tab</h3>
      {ext.agent_status === "not_activated" && (
        <p className="notice notice-warn">This account holds no agent activation (Agent Extensions or Queue Agent Analytics): the agent feature cannot be enabled.</p>
      )}
      {ext.agent_status === "not_enabled" && <p className="muted">The account is activated; this extension is not an agent. Enable it to give it the Agent Workspace.</p>}
      <Check label="Enabled: this extension is an agent" checked={a.enabled} onChange={(enabled) => set({ enabled })} error={e.enabled ?? e[""]} />
      {a.enabled && (
        <>
          <div className="form-row">
            <SelectInput
              label="Phone engine"
              value={a.phone_engine}
              onChange={(v) => set({ phone_engine: v as AgentSettings["phone_engine"] })}
              options={[
                { value: "webrtc", label: "WebRTC (the phone in the page)" },
                { value: "external", label: "External Client (a softphone)" },
              ]}
              error={e.phone_engine}
            />
            <SelectInput
              label="Outbound queue"
              value={a.outbound_queue_id ? String(a.outbound_queue_id) : ""}
              onChange={(v) => set({ outbound_queue_id: v ? Number(v) : null })}
              options={[{ value: "", label: "None: no manual calls out" }, ...choices.queues.map((q) => ({ value: String(q.id), label: `${q.name} (${q.number})` }))]}
              error={e.outbound_queue_id}
            />
          </div>
          <fieldset className="permissions">
            <legend className="field-label">Permissions: the controls the agent gets</legend>
            {permissionLabels.map(([k, label]) => (
              <Check key={k} label={label} checked={a.permissions[k]} onChange={(v) => set({ permissions: { ...a.permissions, [k]: v } })} />
            ))}
          </fieldset>
          <div className="form-row">
            <SelectInput
              label="Auto answer"
              value={a.auto_answer}
              onChange={(v) => set({ auto_answer: v as AgentSettings["auto_answer"] })}
              options={[
                { value: "off", label: "Off" },
                { value: "on", label: "On (a beep, then the call)" },
                { value: "optional", label: "Optional (the agent chooses)" },
              ]}
              error={e.auto_answer}
            />
            <TextInput
              label="Wrap-up timeout (seconds)"
              type="number"
              value={String(a.wrapup_timeout_seconds)}
              onChange={(v) => set({ wrapup_timeout_seconds: Number(v) })}
              error={e.wrapup_timeout_seconds}
            />
          </div>
          <div className="form-row">
            <SelectInput
              label="Caller-ID pool"
              value={a.caller_id_pool_id ? String(a.caller_id_pool_id) : ""}
              onChange={(v) => set({ caller_id_pool_id: v ? Number(v) : null })}
              options={[{ value: "", label: "None: the trunk's number" }, ...choices.pools.map((p) => ({ value: String(p.id), label: p.name }))]}
              error={e.caller_id_pool_id}
            />
            <Check label="Randomise the caller ID" checked={a.randomise_caller_id} onChange={(v) => set({ randomise_caller_id: v })} error={e.randomise_caller_id} />
          </div>
        </>
      )}
      <div className="dialog-actions">
        {saved && (
          <span className="muted small" role="status">
            Saved
          </span>
        )}
        <Button type="submit" variant="primary">
          Save Agent tab
        </Button>
      </div>
    </form>
  );
}
