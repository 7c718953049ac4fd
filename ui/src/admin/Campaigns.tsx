// Campaigns: the administrators' campaigns and their lists. A campaign's
// form sets its type and whether it dials, its calling hours, members,
// caller ID, lead fields, script, outcomes (with what each does next),
// in-call permissions and webhook buttons, the preview or power settings
// and the retry rules. Each list can be made active or not, exported,
// and filled from a CSV file: the columns are mapped to the lead's name,
// numbers and fields, a dry run reports what would be refused, and the
// import reports the rows it refused.
import { Download, Plus, Trash2, Upload } from "lucide-react";
import { useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { Confirm } from "../ui/Confirm";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { CrudPage } from "./Crud";
import { Check, errorUnder, Field, SelectInput, TextInput, type FieldErrors } from "./form";

type Campaign = Schemas["Campaign"];
type Outcome = Schemas["CampaignOutcome"];
type CustomField = Schemas["CustomField"];
type WebhookButton = Schemas["WebhookButton"];
type List = Schemas["CampaignList"];

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const nexts = [
  { value: "done", label: "Done" },
  { value: "retry", label: "Retry later" },
  { value: "fail_number", label: "Fail the number (next number)" },
  { value: "fail_contact", label: "Fail the contact" },
  { value: "callback", label: "Call back at a chosen time" },
];

interface Draft {
  c: Omit<Campaign, "id" | "account_id" | "created_at" | "updated_at">;
}

const listCampaigns = async () => (await must(api.GET("/api/v1/campaigns"))).items;

function blank(): Draft["c"] {
  return {
    name: "",
    type: "preview",
    active: false,
    calling_hours: { start: "09:00", end: "20:00", days: [1, 2, 3, 4, 5] },
    time_zone: "",
    country_code: "44",
    caller_id_pool_id: null,
    random_caller_id: false,
    members: [],
    fields: [],
    script: "",
    outcomes: [],
    allow_add_customer: false,
    allow_edit_customer: false,
    webhook_buttons: [],
    preview_seconds: 15,
    skip_allowed: true,
    max_ratio: 2,
    abandon_target: 3,
    max_attempts: 5,
    retry_busy_minutes: 15,
    retry_no_answer_minutes: 60,
    retry_machine_minutes: 240,
  };
}

export function CampaignsPage() {
  const [agents, setAgents] = useState<Schemas["Extension"][]>([]);
  const [pools, setPools] = useState<Schemas["CallerIDPool"][]>([]);
  useEffect(() => {
    void must(api.GET("/api/v1/extensions")).then((l) => setAgents(l.items.filter((x) => x.agent.enabled)));
    void must(api.GET("/api/v1/caller-id-pools")).then((l) => setPools(l.items));
  }, []);
  return (
    <>
      <CrudPage<Campaign, Draft>
        title="Campaigns"
        noun="campaign"
        list={listCampaigns}
        rowName={(c) => c.name}
        columns={[
          { label: "Campaign", cell: (c) => c.name },
          { label: "Type", cell: (c) => c.type },
          { label: "Dialling", cell: (c) => (c.active ? "active" : "on hold") },
          { label: "Members", cell: (c) => c.members.map((m) => m.number).join(", ") },
          { label: "Hours", cell: (c) => `${c.calling_hours.start}–${c.calling_hours.end}` },
        ]}
        draft={(c) => ({ c: c ? { ...blank(), ...c } : blank() })}
        form={(d, set, e) => <CampaignForm c={d.c} set={(c) => set({ c })} e={e} agents={agents} pools={pools} />}
        save={async (d, c) => {
          // Only what the API takes: a campaign read back also has its id and times.
          const body: Record<string, unknown> = {};
          for (const k of Object.keys(blank())) body[k] = d.c[k as keyof Draft["c"]];
          body.members = d.c.members.map((m) => ({ extension_id: m.extension_id, on_hold: m.on_hold }));
          if (c) await must(api.PATCH("/api/v1/campaigns/{id}", { params: { path: { id: c.id } }, body: body as never }));
          else await must(api.POST("/api/v1/campaigns", { body: body as never }));
        }}
        remove={(c) => must(api.DELETE("/api/v1/campaigns/{id}", { params: { path: { id: c.id } } }))}
        removeText={(c) => `${c.name} stops dialling and goes with its lists and leads. Its past calls stay in the reports.`}
      />
      <ListsSection />
    </>
  );
}

function CampaignForm({
  c,
  set,
  e,
  agents,
  pools,
}: {
  c: Draft["c"];
  set: (c: Draft["c"]) => void;
  e: FieldErrors;
  agents: Schemas["Extension"][];
  pools: Schemas["CallerIDPool"][];
}) {
  const up = (change: Partial<Draft["c"]>) => set({ ...c, ...change });
  const setOutcome = (i: number, o: Partial<Outcome>) => up({ outcomes: c.outcomes.map((x, j) => (j === i ? { ...x, ...o } : x)) });
  const setField = (i: number, f: Partial<CustomField>) => up({ fields: c.fields.map((x, j) => (j === i ? { ...x, ...f } : x)) });
  const setButton = (i: number, b: Partial<WebhookButton>) => up({ webhook_buttons: c.webhook_buttons.map((x, j) => (j === i ? { ...x, ...b } : x)) });
  return (
    <>
      <div className="form-row">
        <TextInput label="Name" value={c.name} onChange={(name) => up({ name })} error={e.name} required />
        <SelectInput
          label="Type"
          value={c.type}
          onChange={(type) => up({ type })}
          options={[
            { value: "preview", label: "Preview (the agent sees the lead first)" },
            { value: "power", label: "Power (the customer is called first)" },
          ]}
          error={e.type}
        />
      </div>
      <Check label="Active: dialling (off: on hold)" checked={c.active} onChange={(active) => up({ active })} />
      <fieldset className="list-edit">
        <legend className="field-label">Calling hours, in each lead's time zone</legend>
        <div className="form-row">
          <TextInput label="From" type="time" value={c.calling_hours.start} onChange={(start) => up({ calling_hours: { ...c.calling_hours, start } })} error={e["calling_hours.start"]} />
          <TextInput label="To" type="time" value={c.calling_hours.end} onChange={(end) => up({ calling_hours: { ...c.calling_hours, end } })} error={e["calling_hours.end"]} />
          <TextInput label="Time zone of leads with none" value={c.time_zone} onChange={(time_zone) => up({ time_zone })} error={e.time_zone} hint="Empty: the account's." />
        </div>
        <div className="check-row" role="group" aria-label="Days">
          {days.map((name, i) => (
            <Check
              key={name}
              label={name}
              checked={c.calling_hours.days.includes(i)}
              onChange={(on) =>
                up({ calling_hours: { ...c.calling_hours, days: on ? [...c.calling_hours.days, i].sort() : c.calling_hours.days.filter((x) => x !== i) } })
              }
            />
          ))}
        </div>
        {errorUnder(e, "calling_hours.days") && <span className="field-error">{errorUnder(e, "calling_hours.days")}</span>}
      </fieldset>
      <fieldset className="list-edit">
        <legend className="field-label">Members</legend>
        <div className="check-row">
          {agents.map((a) => (
            <Check
              key={a.id}
              label={`${a.number} ${a.name}`}
              checked={c.members.some((m) => m.extension_id === a.id)}
              onChange={(on) =>
                up({
                  members: on
                    ? [...c.members, { extension_id: a.id, number: a.number, on_hold: false }]
                    : c.members.filter((m) => m.extension_id !== a.id),
                })
              }
            />
          ))}
        </div>
        {errorUnder(e, "members") && <span className="field-error">{errorUnder(e, "members")}</span>}
      </fieldset>
      <div className="form-row">
        <SelectInput
          label="Caller-ID pool"
          value={c.caller_id_pool_id ? String(c.caller_id_pool_id) : ""}
          onChange={(v) => up({ caller_id_pool_id: v ? Number(v) : null })}
          options={[{ value: "", label: "None: the trunk's number" }, ...pools.map((p) => ({ value: String(p.id), label: p.name }))]}
          error={e.caller_id_pool_id}
        />
        <TextInput label="Country code (national numbers)" value={c.country_code} onChange={(country_code) => up({ country_code })} error={e.country_code} />
      </div>
      <Check label="Pick the caller ID at random (else in turn)" checked={c.random_caller_id} onChange={(random_caller_id) => up({ random_caller_id })} />
      {c.type === "preview" ? (
        <div className="form-row">
          <TextInput
            label="Preview countdown (seconds)"
            type="number"
            value={String(c.preview_seconds)}
            onChange={(v) => up({ preview_seconds: Number(v) })}
            error={e.preview_seconds}
          />
          <Check label="The agent may skip a lead" checked={c.skip_allowed} onChange={(skip_allowed) => up({ skip_allowed })} />
        </div>
      ) : (
        <div className="form-row">
          <TextInput label="Most calls per free agent" type="number" value={String(c.max_ratio)} onChange={(v) => up({ max_ratio: Number(v) })} error={e.max_ratio} />
          <TextInput
            label="Abandoned target (% over 24 hours)"
            type="number"
            value={String(c.abandon_target)}
            onChange={(v) => up({ abandon_target: Number(v) })}
            error={e.abandon_target}
          />
        </div>
      )}
      <div className="form-row">
        <TextInput label="Attempts per lead" type="number" value={String(c.max_attempts)} onChange={(v) => up({ max_attempts: Number(v) })} error={e.max_attempts} />
        <TextInput label="Retry busy after (min)" type="number" value={String(c.retry_busy_minutes)} onChange={(v) => up({ retry_busy_minutes: Number(v) })} error={e.retry_busy_minutes} />
        <TextInput
          label="Retry no answer after (min)"
          type="number"
          value={String(c.retry_no_answer_minutes)}
          onChange={(v) => up({ retry_no_answer_minutes: Number(v) })}
          error={e.retry_no_answer_minutes}
        />
        <TextInput
          label="Retry machine after (min)"
          type="number"
          value={String(c.retry_machine_minutes)}
          onChange={(v) => up({ retry_machine_minutes: Number(v) })}
          error={e.retry_machine_minutes}
        />
      </div>
      <fieldset className="list-edit">
        <legend className="field-label">Lead fields</legend>
        {c.fields.map((f, i) => (
          <div className="form-row" key={i}>
            <TextInput label={`Field ${i + 1} name`} value={f.name} onChange={(name) => setField(i, { name })} error={errorUnder(e, `fields[${i}]`)} />
            <TextInput label={`Field ${i + 1} label`} value={f.label} onChange={(label) => setField(i, { label })} />
            <SelectInput
              label={`Field ${i + 1} type`}
              value={f.type}
              onChange={(type) => setField(i, { type })}
              options={["text", "number", "date", "email", "phone"].map((t) => ({ value: t, label: t }))}
            />
            <Check label="Required" checked={f.required} onChange={(required) => setField(i, { required })} />
            <Button variant="ghost" aria-label={`Remove field ${i + 1}`} onPress={() => up({ fields: c.fields.filter((_, j) => j !== i) })}>
              <Trash2 size={16} aria-hidden />
            </Button>
          </div>
        ))}
        <Button onPress={() => up({ fields: [...c.fields, { name: "", label: "", type: "text", required: false }] })}>
          <Plus size={16} aria-hidden /> Add field
        </Button>
      </fieldset>
      <Field label="Script ({{name}}, {{agent}} and the fields' names are filled in)" error={e.script}>
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            className="input"
            rows={4}
            value={c.script}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            onChange={(ev) => up({ script: ev.target.value })}
          />
        )}
      </Field>
      <fieldset className="list-edit">
        <legend className="field-label">Outcomes</legend>
        {c.outcomes.map((o, i) => (
          <div className="form-row" key={i}>
            <SelectInput
              label={`Category of outcome ${i + 1}`}
              value={o.category}
              onChange={(v) => setOutcome(i, { category: v as Outcome["category"] })}
              options={[
                { value: "success", label: "Success" },
                { value: "unsure", label: "Unsure" },
                { value: "fail", label: "Fail" },
              ]}
            />
            <TextInput label={`Outcome ${i + 1}`} value={o.name} onChange={(name) => setOutcome(i, { name })} error={errorUnder(e, `outcomes[${i}]`)} />
            <SelectInput label={`Then (outcome ${i + 1})`} value={o.next} onChange={(next) => setOutcome(i, { next })} options={nexts} />
            {o.next === "retry" && (
              <TextInput
                label={`Retry after (min, outcome ${i + 1})`}
                type="number"
                value={String(o.retry_minutes ?? 60)}
                onChange={(v) => setOutcome(i, { retry_minutes: Number(v) })}
              />
            )}
            {o.next === "callback" && (
              <SelectInput
                label={`Callback for (outcome ${i + 1})`}
                value={o.callback_scope ?? "agent"}
                onChange={(callback_scope) => setOutcome(i, { callback_scope })}
                options={[
                  { value: "agent", label: "the same agent" },
                  { value: "anyone", label: "anyone" },
                ]}
              />
            )}
            <Button variant="ghost" aria-label={`Remove outcome ${i + 1}`} onPress={() => up({ outcomes: c.outcomes.filter((_, j) => j !== i) })}>
              <Trash2 size={16} aria-hidden />
            </Button>
          </div>
        ))}
        <Button onPress={() => up({ outcomes: [...c.outcomes, { id: 0, category: "success", name: "", next: "done" }] })}>
          <Plus size={16} aria-hidden /> Add outcome
        </Button>
      </fieldset>
      <div className="check-row">
        <Check label="Agents may edit the customer in a call" checked={c.allow_edit_customer} onChange={(allow_edit_customer) => up({ allow_edit_customer })} />
        <Check label="Agents may add a new customer" checked={c.allow_add_customer} onChange={(allow_add_customer) => up({ allow_add_customer })} />
      </div>
      <fieldset className="list-edit">
        <legend className="field-label">Webhook buttons (signed by the server; the secret is read through the API)</legend>
        {c.webhook_buttons.map((b, i) => (
          <div className="form-row" key={i}>
            <TextInput label={`Button ${i + 1} label`} value={b.label} onChange={(label) => setButton(i, { label })} error={errorUnder(e, `webhook_buttons[${i}]`)} />
            <TextInput label={`Button ${i + 1} URL`} value={b.url} onChange={(url) => setButton(i, { url })} />
            <TextInput label={`Button ${i + 1} body`} value={b.body} onChange={(body) => setButton(i, { body })} />
            <Button variant="ghost" aria-label={`Remove button ${i + 1}`} onPress={() => up({ webhook_buttons: c.webhook_buttons.filter((_, j) => j !== i) })}>
              <Trash2 size={16} aria-hidden />
            </Button>
          </div>
        ))}
        <Button onPress={() => up({ webhook_buttons: [...c.webhook_buttons, { id: 0, label: "", url: "https://", body: '{"lead":"{{lead_id}}"}' }] })}>
          <Plus size={16} aria-hidden /> Add button
        </Button>
      </fieldset>
    </>
  );
}

/** ListsSection: the lists of each campaign, with import and export. */
function ListsSection() {
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [lists, setLists] = useState<List[]>([]);
  const [error, setError] = useState<string>();
  const [importing, setImporting] = useState<{ list: List; campaign: Campaign }>();
  const [deleting, setDeleting] = useState<List>();
  const [name, setName] = useState("");
  const [campaignId, setCampaignId] = useState("");
  const load = () =>
    Promise.all([must(api.GET("/api/v1/campaigns")), must(api.GET("/api/v1/campaign-lists"))])
      .then(([c, l]) => {
        setCampaigns(c.items);
        setLists(l.items);
        setCampaignId((v) => v || String(c.items[0]?.id ?? ""));
      })
      .catch((e: unknown) => setError(message(e)));
  useEffect(() => {
    void load();
  }, []);
  const act = (p: Promise<unknown>) => {
    setError(undefined);
    p.then(load).catch((e: unknown) => setError(message(e)));
  };
  return (
    <section className="board" aria-label="Lists">
      <h1 className="page-title">Lists</h1>
      <ErrorText error={error} />
      <table className="table" aria-label="Lists">
        <thead>
          <tr>
            <th scope="col">List</th>
            <th scope="col">Campaign</th>
            <th scope="col" className="num">
              Leads
            </th>
            <th scope="col">Dialled</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lists.map((l) => {
            const c = campaigns.find((x) => x.id === l.campaign_id);
            return (
              <tr key={l.id}>
                <th scope="row">{l.name}</th>
                <td>{c?.name}</td>
                <td className="num">{l.leads}</td>
                <td>
                  <Check
                    label={`${l.name} active`}
                    checked={l.active}
                    onChange={(active) => act(must(api.PATCH("/api/v1/campaign-lists/{id}", { params: { path: { id: l.id } }, body: { active } })))}
                  />
                </td>
                <td className="row-actions">
                  {c && (
                    <Button variant="ghost" aria-label={`Import leads into ${l.name}`} onPress={() => setImporting({ list: l, campaign: c })}>
                      <Upload size={16} aria-hidden />
                    </Button>
                  )}
                  <a className="btn btn-ghost" href={`/api/v1/campaign-lists/${l.id}/export`} aria-label={`Export ${l.name} as CSV`} download>
                    <Download size={16} aria-hidden />
                  </a>
                  <Button variant="ghost" aria-label={`Delete list ${l.name}`} onPress={() => setDeleting(l)}>
                    <Trash2 size={16} aria-hidden />
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form
        className="form-row"
        aria-label="New list"
        onSubmit={(ev) => {
          ev.preventDefault();
          act(must(api.POST("/api/v1/campaign-lists", { body: { campaign_id: Number(campaignId), name, active: true } })).then(() => setName("")));
        }}
      >
        <TextInput label="New list" value={name} onChange={setName} />
        <SelectInput label="Of campaign" value={campaignId} onChange={setCampaignId} options={campaigns.map((c) => ({ value: String(c.id), label: c.name }))} />
        <Button type="submit">
          <Plus size={16} aria-hidden /> Add list
        </Button>
      </form>
      {deleting && (
        <Confirm
          title={`Delete list ${deleting.name}?`}
          action="Delete"
          run={() => must(api.DELETE("/api/v1/campaign-lists/{id}", { params: { path: { id: deleting.id } } }))}
          onClose={(done) => {
            setDeleting(undefined);
            if (done) void load();
          }}
        >
          Its {deleting.leads} leads go with it, and are no longer dialled. Their past calls stay in the reports.
        </Confirm>
      )}
      {importing && (
        <ImportDialog
          list={importing.list}
          campaign={importing.campaign}
          onClose={() => {
            setImporting(undefined);
            void load();
          }}
        />
      )}
    </section>
  );
}

/** columnsOf reads a CSV's header row. */
function columnsOf(csv: string): string[] {
  const first = csv.split(/\r?\n/, 1)[0] ?? "";
  return first.split(",").map((c) => c.trim().replace(/^"|"$/g, "")).filter(Boolean);
}

function ImportDialog({ list, campaign, onClose }: { list: List; campaign: Campaign; onClose: () => void }) {
  const [csv, setCsv] = useState("");
  const cols = columnsOf(csv);
  const guess = (want: string) => cols.find((c) => c.toLowerCase().includes(want)) ?? "";
  const [nameCol, setNameCol] = useState("");
  const [numberCol, setNumberCol] = useState("");
  const [fieldCols, setFieldCols] = useState<Record<string, string>>({});
  const [report, setReport] = useState<Schemas["ImportReport"]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (cols.length === 0) return;
    setNameCol((v) => v || guess("name"));
    setNumberCol((v) => v || guess("phone") || guess("number"));
    setFieldCols((v) => (Object.keys(v).length ? v : Object.fromEntries(campaign.fields.map((f) => [f.name, guess(f.name.toLowerCase()) || guess(f.label.toLowerCase())]))));
  }, [csv]);
  const run = async (dry: boolean) => {
    setError(undefined);
    try {
      const fields = Object.fromEntries(Object.entries(fieldCols).filter(([, v]) => v));
      setReport(
        await must(
          api.POST("/api/v1/campaign-lists/{id}/import", {
            params: { path: { id: list.id } },
            body: { csv, dry_run: dry, mapping: { name: nameCol, numbers: numberCol ? [numberCol] : [], fields } },
          }),
        ),
      );
    } catch (e) {
      setError(message(e));
    }
  };
  const opts = [{ value: "", label: "—" }, ...cols.map((c) => ({ value: c, label: c }))];
  return (
    <Dialog title={`Import leads into ${list.name}`} isOpen onClose={onClose} wide>
      <Field label="CSV file">
        {({ id }) => (
          <input
            id={id}
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void f.text().then(setCsv);
            }}
          />
        )}
      </Field>
      {cols.length > 0 && (
        <div className="admin-form">
          <h3>Columns</h3>
          <div className="form-row">
            <SelectInput label="Name column" value={nameCol} onChange={setNameCol} options={opts} />
            <SelectInput label="Number column" value={numberCol} onChange={setNumberCol} options={opts} />
          </div>
          <div className="form-row">
            {campaign.fields.map((f) => (
              <SelectInput
                key={f.name}
                label={`${f.label || f.name} column`}
                value={fieldCols[f.name] ?? ""}
                onChange={(v) => setFieldCols({ ...fieldCols, [f.name]: v })}
                options={opts}
              />
            ))}
          </div>
        </div>
      )}
      <ErrorText error={error} />
      {report && (
        <div className="import-report" role="status" aria-label="Import report">
          <p>
            {report.dry_run ? "Would import" : "Imported"} {report.imported} of {report.rows} rows; {report.refused.length} refused.
          </p>
          {report.refused.length > 0 && (
            <table className="table" aria-label="Refused rows">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {report.refused.slice(0, 50).map((r) => (
                  <tr key={r.row}>
                    <th scope="row">{r.row}</th>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      <div className="dialog-actions">
        <Button onPress={onClose}>Close</Button>
        <Button isDisabled={!csv} onPress={() => void run(true)}>
          Check (dry run)
        </Button>
        <Button variant="primary" isDisabled={!csv || report?.dry_run === false} onPress={() => void run(false)}>
          Import
        </Button>
      </div>
    </Dialog>
  );
}
