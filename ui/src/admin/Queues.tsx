// Queues: the administrators' page of the account's queues: how each
// rings its members (strategy, ring timeout), its limits and where its
// overflow goes, its service level, its members with their penalties,
// and its dispositions: each outcome's category and, for a Fail, whether
// it fails the number or the contact.
import { Plus, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";
import { api, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { CrudPage } from "./Crud";
import { ErrorText } from "../ui/ErrorText";
import { Check, errorUnder, SelectInput, TextInput } from "./form";

type Queue = Schemas["Queue"];
type Outcome = Schemas["Outcome"];

interface Draft {
  number: string;
  name: string;
  strategy: string;
  ring: string;
  maxWait: string;
  maxCallers: string;
  overflow: string;
  target: string;
  sl: string;
  missed: string;
  announce: boolean;
  dispositions: boolean;
  callWaiting: boolean;
  members: { extension_id: number; penalty: string }[];
  outcomes: { category: string; name: string; fail_scope: string }[];
}

const strategies = [
  { value: "longest_idle", label: "Longest idle first" },
  { value: "ring_all", label: "Ring all" },
  { value: "round_robin", label: "Round robin" },
  { value: "fewest_calls", label: "Fewest calls today" },
  { value: "random", label: "Random" },
];

const listQueues = async () => (await must(api.GET("/api/v1/queues"))).items;

export function QueuesPage() {
  const [exts, setExts] = useState<Schemas["Extension"][]>([]);
  useEffect(() => {
    void must(api.GET("/api/v1/extensions")).then((l) => setExts(l.items));
  }, []);
  const members = exts.filter((x) => x.queues_feature || x.agent.enabled);
  return (
    <CrudPage<Queue, Draft>
      title="Queues"
      noun="queue"
      list={listQueues}
      rowName={(q) => `${q.name} (${q.number})`}
      columns={[
        { label: "Queue", cell: (q) => `${q.name} (${q.number})` },
        { label: "Strategy", cell: (q) => strategies.find((s) => s.value === q.strategy)?.label ?? q.strategy },
        { label: "Members", cell: (q) => q.members.map((m) => `${m.number}${m.penalty ? ` (${m.penalty})` : ""}`).join(", ") },
        { label: "Outcomes", cell: (q) => (q.dispositions_enabled ? q.outcomes.length : "off") },
        { label: "Overflow", cell: (q) => q.overflow_action },
      ]}
      draft={(q) => ({
        number: q?.number ?? "",
        name: q?.name ?? "",
        strategy: q?.strategy ?? "longest_idle",
        ring: String(q?.ring_timeout_seconds ?? 20),
        maxWait: String(q?.max_wait_seconds ?? 0),
        maxCallers: String(q?.max_callers ?? 0),
        overflow: q?.overflow_action ?? "hangup",
        target: q?.overflow_target_id ? String(q.overflow_target_id) : "",
        sl: String(q?.service_level_seconds ?? 20),
        missed: String(q?.missed_offers_pause ?? 0),
        announce: q?.announce_position ?? false,
        dispositions: q?.dispositions_enabled ?? false,
        callWaiting: q?.participant_call_waiting ?? false,
        members: (q?.members ?? []).map((m) => ({ extension_id: m.extension_id, penalty: String(m.penalty) })),
        outcomes: (q?.outcomes ?? []).map((o) => ({ category: o.category, name: o.name, fail_scope: o.fail_scope ?? "" })),
      })}
      form={(d, set, e) => (
        <>
          <div className="form-row">
            <TextInput label="Number" value={d.number} onChange={(number) => set({ ...d, number })} error={e.number} required />
            <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
          </div>
          <div className="form-row">
            <SelectInput label="Strategy" value={d.strategy} onChange={(strategy) => set({ ...d, strategy })} options={strategies} error={e.strategy} />
            <TextInput label="Ring timeout (seconds)" type="number" value={d.ring} onChange={(ring) => set({ ...d, ring })} error={e.ring_timeout_seconds} />
            <TextInput label="Service level (seconds)" type="number" value={d.sl} onChange={(sl) => set({ ...d, sl })} error={e.service_level_seconds} />
          </div>
          <div className="form-row">
            <TextInput label="Longest wait (seconds, 0: none)" type="number" value={d.maxWait} onChange={(maxWait) => set({ ...d, maxWait })} error={e.max_wait_seconds} />
            <TextInput label="Most callers (0: no limit)" type="number" value={d.maxCallers} onChange={(maxCallers) => set({ ...d, maxCallers })} error={e.max_callers} />
            <TextInput
              label="Pause after missed offers (0: never)"
              type="number"
              value={d.missed}
              onChange={(missed) => set({ ...d, missed })}
              error={e.missed_offers_pause}
            />
          </div>
          <div className="form-row">
            <SelectInput
              label="Overflow"
              value={d.overflow}
              onChange={(overflow) => set({ ...d, overflow })}
              options={[
                { value: "hangup", label: "Hang up" },
                { value: "queue", label: "Another queue" },
                { value: "extension", label: "An extension" },
              ]}
              error={e.overflow_action}
            />
            {d.overflow !== "hangup" && (
              <TextInput
                label={d.overflow === "queue" ? "Overflow queue (id)" : "Overflow extension (id)"}
                type="number"
                value={d.target}
                onChange={(target) => set({ ...d, target })}
                error={e.overflow_target_id}
              />
            )}
          </div>
          <Check label="Announce each caller's position" checked={d.announce} onChange={(announce) => set({ ...d, announce })} />
          <Check
            label="Participants on a call may still be offered calls (call waiting)"
            checked={d.callWaiting}
            onChange={(callWaiting) => set({ ...d, callWaiting })}
          />
          <fieldset className="list-edit">
            <legend className="field-label">Members and their penalties (lower is offered first)</legend>
            {d.members.map((m, i) => (
              <div className="form-row" key={i}>
                <SelectInput
                  label={`Member ${i + 1}`}
                  value={String(m.extension_id)}
                  onChange={(v) => set({ ...d, members: d.members.map((x, j) => (j === i ? { ...x, extension_id: Number(v) } : x)) })}
                  options={members.map((x) => ({ value: String(x.id), label: `${x.number} ${x.name}` }))}
                  error={errorUnder(e, `members[${i}]`)}
                />
                <TextInput
                  label={`Penalty of member ${i + 1}`}
                  type="number"
                  value={m.penalty}
                  onChange={(v) => set({ ...d, members: d.members.map((x, j) => (j === i ? { ...x, penalty: v } : x)) })}
                />
                <Button variant="ghost" aria-label={`Remove member ${i + 1}`} onPress={() => set({ ...d, members: d.members.filter((_, j) => j !== i) })}>
                  <Trash2 size={16} aria-hidden />
                </Button>
              </div>
            ))}
            <Button
              isDisabled={members.length === 0}
              onPress={() => set({ ...d, members: [...d.members, { extension_id: members[0]?.id ?? 0, penalty: "0" }] })}
            >
              <Plus size={16} aria-hidden /> Add member
            </Button>
          </fieldset>
          <Check label="Dispositions: the agent chooses an outcome after each call" checked={d.dispositions} onChange={(dispositions) => set({ ...d, dispositions })} />
          {d.dispositions && (
            <fieldset className="list-edit">
              <legend className="field-label">Outcomes</legend>
              {d.outcomes.map((o, i) => (
                <div className="form-row" key={i}>
                  <SelectInput
                    label={`Category of outcome ${i + 1}`}
                    value={o.category}
                    onChange={(v) => set({ ...d, outcomes: d.outcomes.map((x, j) => (j === i ? { ...x, category: v, fail_scope: v === "fail" ? x.fail_scope || "contact" : "" } : x)) })}
                    options={[
                      { value: "success", label: "Success" },
                      { value: "unsure", label: "Unsure" },
                      { value: "fail", label: "Fail" },
                    ]}
                  />
                  <TextInput
                    label={`Outcome ${i + 1}`}
                    value={o.name}
                    onChange={(v) => set({ ...d, outcomes: d.outcomes.map((x, j) => (j === i ? { ...x, name: v } : x)) })}
                    error={errorUnder(e, `outcomes[${i}]`)}
                  />
                  {o.category === "fail" && (
                    <SelectInput
                      label={`Fails (outcome ${i + 1})`}
                      value={o.fail_scope}
                      onChange={(v) => set({ ...d, outcomes: d.outcomes.map((x, j) => (j === i ? { ...x, fail_scope: v } : x)) })}
                      options={[
                        { value: "number", label: "the number (Failed Number)" },
                        { value: "contact", label: "the contact (Failed Contact)" },
                      ]}
                    />
                  )}
                  <Button variant="ghost" aria-label={`Remove outcome ${i + 1}`} onPress={() => set({ ...d, outcomes: d.outcomes.filter((_, j) => j !== i) })}>
                    <Trash2 size={16} aria-hidden />
                  </Button>
                </div>
              ))}
              <Button onPress={() => set({ ...d, outcomes: [...d.outcomes, { category: "success", name: "", fail_scope: "" }] })}>
                <Plus size={16} aria-hidden /> Add outcome
              </Button>
            </fieldset>
          )}
          {!d.dispositions && <ErrorText error={errorUnder(e, "outcomes")} />}
        </>
      )}
      save={async (d, q) => {
        const body = {
          number: d.number,
          name: d.name,
          strategy: d.strategy as Queue["strategy"],
          ring_timeout_seconds: Number(d.ring),
          max_wait_seconds: Number(d.maxWait),
          max_callers: Number(d.maxCallers),
          overflow_action: d.overflow as Queue["overflow_action"],
          overflow_target_id: d.overflow !== "hangup" && d.target ? Number(d.target) : null,
          service_level_seconds: Number(d.sl),
          missed_offers_pause: Number(d.missed),
          announce_position: d.announce,
          dispositions_enabled: d.dispositions,
          participant_call_waiting: d.callWaiting,
          members: d.members.map((m) => ({ extension_id: m.extension_id, penalty: Number(m.penalty) })),
          outcomes: d.outcomes.map((o) => ({ category: o.category as Outcome["category"], name: o.name, fail_scope: (o.fail_scope || undefined) as Outcome["fail_scope"] })),
        };
        if (q) await must(api.PATCH("/api/v1/queues/{id}", { params: { path: { id: q.id } }, body }));
        else await must(api.POST("/api/v1/queues", { body }));
      }}
      remove={(q) => must(api.DELETE("/api/v1/queues/{id}", { params: { path: { id: q.id } } }))}
      removeText={(q) =>
        `${q.name} (${q.number}) stops taking calls: callers dialling ${q.number} get no queue, and its members leave it. Its past calls stay in the reports.`
      }
    />
  );
}
