// Trunks: the administrators' carriers and inbound numbers. A trunk
// either registers with its carrier (username and password) or admits
// the carrier's addresses (IP); its password is written, never shown.
// Each registration trunk's state with its carrier is shown live from
// the trunk status. An inbound number routes a carrier's calls to an
// extension or a queue.
import { useEffect, useState } from "react";
import { api, must, type Schemas } from "../api/client";
import { CrudPage } from "./Crud";
import { Check, errorUnder, Field, SelectInput, TextInput } from "./form";

type Trunk = Schemas["Trunk"];
type Inbound = Schemas["InboundNumber"];

const listTrunks = async () => (await must(api.GET("/api/v1/trunks"))).items;

interface TrunkDraft {
  name: string;
  host: string;
  transport: string;
  auth: string;
  username: string;
  password: string;
  sources: string;
  callerID: string;
  strip: string;
  prefix: string;
  enabled: boolean;
}

export function TrunksPage() {
  const [status, setStatus] = useState<Record<number, string>>({});
  useEffect(() => {
    must(api.GET("/api/v1/trunks/status"))
      .then((l) => setStatus(Object.fromEntries(l.items.map((s) => [s.trunk_id, s.state]))))
      .catch(() => setStatus({}));
  }, []);
  return (
    <>
      <CrudPage<Trunk, TrunkDraft>
        title="Trunks"
        noun="trunk"
        list={listTrunks}
        rowName={(t) => t.name}
        columns={[
          { label: "Name", cell: (t) => t.name },
          { label: "Carrier", cell: (t) => `${t.host} (${t.transport})` },
          { label: "Sign-in", cell: (t) => (t.auth === "registration" ? `registers as ${t.username}` : `admits ${t.allowed_sources.join(", ")}`) },
          { label: "Caller ID", cell: (t) => t.default_caller_id },
          { label: "State", cell: (t) => (!t.enabled ? "off" : t.auth === "registration" ? (status[t.id] ?? "unknown") : "on") },
        ]}
        draft={(t) => ({
          name: t?.name ?? "",
          host: t?.host ?? "",
          transport: t?.transport ?? "udp",
          auth: t?.auth ?? "registration",
          username: t?.username ?? "",
          password: "",
          sources: (t?.allowed_sources ?? []).join("\n"),
          callerID: t?.default_caller_id ?? "",
          strip: String(t?.strip_digits ?? 0),
          prefix: t?.prefix ?? "",
          enabled: t?.enabled ?? true,
        })}
        form={(d, set, e, t) => (
          <>
            <div className="form-row">
              <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
              <TextInput label="Carrier host (host or host:port)" value={d.host} onChange={(host) => set({ ...d, host })} error={e.host} required />
              <SelectInput
                label="Transport"
                value={d.transport}
                onChange={(transport) => set({ ...d, transport })}
                options={[
                  { value: "udp", label: "UDP" },
                  { value: "tcp", label: "TCP" },
                ]}
                error={e.transport}
              />
            </div>
            <SelectInput
              label="How the carrier knows us"
              value={d.auth}
              onChange={(auth) => set({ ...d, auth })}
              options={[
                { value: "registration", label: "We register (username and password)" },
                { value: "ip", label: "By our address (the carrier's addresses are admitted)" },
              ]}
              error={e.auth}
            />
            {d.auth === "registration" ? (
              <div className="form-row">
                <TextInput label="Username" value={d.username} onChange={(username) => set({ ...d, username })} error={e.username} />
                <TextInput
                  label="Password"
                  type="password"
                  value={d.password}
                  onChange={(password) => set({ ...d, password })}
                  error={e.password}
                  hint={t?.has_password ? "Set: leave empty to keep it." : undefined}
                />
              </div>
            ) : (
              <Field label="The carrier's addresses, one a line" error={errorUnder(e, "allowed_sources")}>
                {({ id, describedBy, invalid }) => (
                  <textarea
                    id={id}
                    className="input"
                    rows={3}
                    value={d.sources}
                    aria-invalid={invalid || undefined}
                    aria-describedby={describedBy}
                    onChange={(ev) => set({ ...d, sources: ev.target.value })}
                  />
                )}
              </Field>
            )}
            <div className="form-row">
              <TextInput label="Default caller ID" value={d.callerID} onChange={(callerID) => set({ ...d, callerID })} error={e.default_caller_id} />
              <TextInput label="Digits stripped" type="number" value={d.strip} onChange={(strip) => set({ ...d, strip })} error={e.strip_digits} />
              <TextInput label="Prefix added" value={d.prefix} onChange={(prefix) => set({ ...d, prefix })} error={e.prefix} />
            </div>
            <Check label="Enabled" checked={d.enabled} onChange={(enabled) => set({ ...d, enabled })} />
          </>
        )}
        save={async (d, t) => {
          const body = {
            name: d.name,
            host: d.host,
            transport: d.transport as Trunk["transport"],
            auth: d.auth as Trunk["auth"],
            username: d.username,
            password: d.password || undefined,
            allowed_sources: d.auth === "ip" ? d.sources.split("\n").map((x) => x.trim()).filter(Boolean) : [],
            default_caller_id: d.callerID,
            strip_digits: Number(d.strip),
            prefix: d.prefix,
            enabled: d.enabled,
          };
          if (t) await must(api.PATCH("/api/v1/trunks/{id}", { params: { path: { id: t.id } }, body }));
          else await must(api.POST("/api/v1/trunks", { body }));
        }}
        remove={(t) => must(api.DELETE("/api/v1/trunks/{id}", { params: { path: { id: t.id } } }))}
        removeText={(t) => `Calls out no longer go through ${t.name}, and its carrier's calls are refused. A trunk that inbound numbers arrive on cannot be deleted.`}
      />
      <InboundNumbersPage />
    </>
  );
}

const listInbound = async () => (await must(api.GET("/api/v1/inbound-numbers"))).items;

function InboundNumbersPage() {
  const [targets, setTargets] = useState<{ exts: Schemas["Extension"][]; queues: Schemas["Queue"][]; trunks: Trunk[] }>({ exts: [], queues: [], trunks: [] });
  useEffect(() => {
    void Promise.all([must(api.GET("/api/v1/extensions")), must(api.GET("/api/v1/queues")), must(api.GET("/api/v1/trunks"))]).then(([x, q, t]) =>
      setTargets({ exts: x.items, queues: q.items, trunks: t.items }),
    );
  }, []);
  const where = (n: Inbound) =>
    n.destination.kind === "queue"
      ? `queue ${targets.queues.find((q) => q.id === n.destination.id)?.name ?? n.destination.id}`
      : `extension ${targets.exts.find((x) => x.id === n.destination.id)?.number ?? n.destination.id}`;
  return (
    <CrudPage<Inbound, { number: string; name: string; trunk: string; dest: string; enabled: boolean }>
      title="Inbound numbers"
      noun="inbound number"
      list={listInbound}
      rowName={(n) => n.number}
      columns={[
        { label: "Number", cell: (n) => n.number },
        { label: "Name", cell: (n) => n.name },
        { label: "Rings", cell: where },
        { label: "Trunk", cell: (n) => (n.trunk_id ? (targets.trunks.find((t) => t.id === n.trunk_id)?.name ?? "") : "any") },
        { label: "State", cell: (n) => (n.enabled ? "on" : "off") },
      ]}
      draft={(n) => ({
        number: n?.number ?? "",
        name: n?.name ?? "",
        trunk: n?.trunk_id ? String(n.trunk_id) : "",
        dest: n ? `${n.destination.kind}:${n.destination.id}` : "",
        enabled: n?.enabled ?? true,
      })}
      form={(d, set, e) => (
        <>
          <div className="form-row">
            <TextInput label="Number" value={d.number} onChange={(number) => set({ ...d, number })} error={e.number} required />
            <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} />
          </div>
          <div className="form-row">
            <SelectInput
              label="Rings"
              value={d.dest}
              onChange={(dest) => set({ ...d, dest })}
              options={[
                { value: "", label: "Choose…" },
                ...targets.queues.map((q) => ({ value: `queue:${q.id}`, label: `Queue ${q.name} (${q.number})` })),
                ...targets.exts.map((x) => ({ value: `extension:${x.id}`, label: `Extension ${x.number} ${x.name}` })),
              ]}
              error={errorUnder(e, "destination")}
            />
            <SelectInput
              label="Arrives on"
              value={d.trunk}
              onChange={(trunk) => set({ ...d, trunk })}
              options={[{ value: "", label: "Any trunk" }, ...targets.trunks.map((t) => ({ value: String(t.id), label: t.name }))]}
              error={e.trunk_id}
            />
          </div>
          <Check label="Enabled" checked={d.enabled} onChange={(enabled) => set({ ...d, enabled })} />
        </>
      )}
      save={async (d, n) => {
        const [kind, id] = d.dest.split(":");
        const body = {
          number: d.number,
          name: d.name,
          trunk_id: d.trunk ? Number(d.trunk) : null,
          destination: d.dest ? { kind: kind as Inbound["destination"]["kind"], id: Number(id) } : undefined,
          enabled: d.enabled,
        };
        if (n) await must(api.PATCH("/api/v1/inbound-numbers/{id}", { params: { path: { id: n.id } }, body }));
        else await must(api.POST("/api/v1/inbound-numbers", { body: body as never }));
      }}
      remove={(n) => must(api.DELETE("/api/v1/inbound-numbers/{id}", { params: { path: { id: n.id } } }))}
      removeText={(n) => `Calls to ${n.number} from the carrier are refused from now on.`}
    />
  );
}
