// Resources: the administrators' simpler pages, each a CrudPage: pause
// reasons (productive or not, with a threshold), users and their roles,
// caller-ID pools, and the directory agents look numbers up in.
import { useCallback, useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { CrudPage } from "./Crud";
import { Check, errorUnder, Field, SelectInput, TextInput } from "./form";

type PauseReason = Schemas["PauseReason"];
type User = Schemas["User"];
type Pool = Schemas["CallerIDPool"];
type Entry = Schemas["DirectoryEntry"];

const listPauses = async () => (await must(api.GET("/api/v1/pause-reasons"))).items;

export function PauseReasonsPage() {
  return (
    <CrudPage<PauseReason, { name: string; code: string; productive: boolean; threshold: string }>
      title="Pause reasons"
      noun="pause reason"
      list={listPauses}
      rowName={(r) => r.name}
      columns={[
        { label: "Name", cell: (r) => r.name },
        { label: "Code", cell: (r) => r.code, num: true },
        { label: "Kind", cell: (r) => (r.productive ? "productive" : "unproductive") },
        { label: "Threshold", cell: (r) => (r.threshold_seconds ? `${Math.round(r.threshold_seconds / 60)} min` : "none") },
      ]}
      fixed={(r) => (r.system ? "set by the system" : undefined)}
      draft={(r) => ({ name: r?.name ?? "", code: String(r?.code ?? ""), productive: r?.productive ?? false, threshold: String(r?.threshold_seconds ?? 0) })}
      form={(d, set, e) => (
        <>
          <div className="form-row">
            <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
            <TextInput label="Code" type="number" value={d.code} onChange={(code) => set({ ...d, code })} error={e.code} required />
          </div>
          <TextInput
            label="Threshold (seconds)"
            type="number"
            value={d.threshold}
            onChange={(threshold) => set({ ...d, threshold })}
            error={e.threshold_seconds}
            hint="Past it, the agent's and the boards' timers turn red; 0 for none."
          />
          <Check label="Productive (counts as work in the reports)" checked={d.productive} onChange={(productive) => set({ ...d, productive })} error={e.productive} />
        </>
      )}
      save={async (d, r) => {
        const body = { name: d.name, code: Number(d.code), productive: d.productive, threshold_seconds: Number(d.threshold) };
        if (r) await must(api.PATCH("/api/v1/pause-reasons/{id}", { params: { path: { id: r.id } }, body }));
        else await must(api.POST("/api/v1/pause-reasons", { body }));
      }}
      remove={(r) => must(api.DELETE("/api/v1/pause-reasons/{id}", { params: { path: { id: r.id } } }))}
      removeText={(r) => `Agents can no longer pause for ${r.name}. Past pauses keep its name in the reports.`}
    />
  );
}

const listUsers = async () => (await must(api.GET("/api/v1/users"))).items;

const roles = [
  { value: "agent", label: "Agent (the Agent Workspace)" },
  { value: "supervisor", label: "Supervisor (the boards)" },
  { value: "admin", label: "Administrator (the boards and these pages)" },
];

export function UsersPage() {
  const [exts, setExts] = useState<Schemas["Extension"][]>([]);
  useEffect(() => {
    void must(api.GET("/api/v1/extensions")).then((l) => setExts(l.items));
  }, []);
  const extName = useCallback((id?: number | null) => exts.find((e) => e.id === id)?.number ?? "", [exts]);
  return (
    <CrudPage<User, { username: string; name: string; email: string; role: string; ext: string; disabled: boolean; password: string }>
      title="Users"
      noun="user"
      list={listUsers}
      rowName={(u) => u.username}
      columns={[
        { label: "Username", cell: (u) => u.username },
        { label: "Name", cell: (u) => u.name },
        { label: "Role", cell: (u) => u.role },
        { label: "Extension", cell: (u) => extName(u.extension_id) },
        { label: "Status", cell: (u) => (u.disabled ? "disabled" : "active") },
      ]}
      draft={(u) => ({
        username: u?.username ?? "",
        name: u?.name ?? "",
        email: u?.email ?? "",
        role: u?.role ?? "agent",
        ext: u?.extension_id ? String(u.extension_id) : "",
        disabled: u?.disabled ?? false,
        password: "",
      })}
      form={(d, set, e, u) => (
        <>
          <div className="form-row">
            <TextInput label="Username" value={d.username} onChange={(username) => set({ ...d, username })} error={e.username} required />
            <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} />
          </div>
          <div className="form-row">
            <TextInput label="Email" type="email" value={d.email} onChange={(email) => set({ ...d, email })} error={e.email} />
            <SelectInput label="Role" value={d.role} onChange={(role) => set({ ...d, role })} options={roles} error={e.role} />
          </div>
          <SelectInput
            label="Extension"
            value={d.ext}
            onChange={(ext) => set({ ...d, ext })}
            options={[{ value: "", label: "None" }, ...exts.map((x) => ({ value: String(x.id), label: `${x.number} ${x.name}` }))]}
            error={e.extension_id}
            hint="An agent's extension is their phone and their place on the floor."
          />
          {u ? (
            <>
              <Check label="Disabled (signs the user out everywhere)" checked={d.disabled} onChange={(disabled) => set({ ...d, disabled })} error={e.disabled} />
              <NewPassword user={u} />
            </>
          ) : (
            <TextInput
              label="Password"
              type="password"
              value={d.password}
              onChange={(password) => set({ ...d, password })}
              error={e.password}
              required
              hint="At least 10 characters."
            />
          )}
        </>
      )}
      save={async (d, u) => {
        const body = {
          username: d.username,
          name: d.name,
          email: d.email,
          role: d.role as User["role"],
          extension_id: d.ext ? Number(d.ext) : null,
          disabled: d.disabled,
        };
        if (u) await must(api.PATCH("/api/v1/users/{id}", { params: { path: { id: u.id } }, body }));
        else await must(api.POST("/api/v1/users", { body: { ...body, password: d.password } }));
      }}
      remove={(u) => must(api.DELETE("/api/v1/users/{id}", { params: { path: { id: u.id } } }))}
      removeText={(u) => `${u.username} can no longer sign in: their sessions and API tokens end now. Their extension stays.`}
    />
  );
}

/** NewPassword sets a user's password from the edit form (their sessions end). */
function NewPassword({ user }: { user: User }) {
  const [pw, setPw] = useState("");
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  return (
    <Field label="New password" error={error} hint="Setting it signs the user out everywhere.">
      {({ id, describedBy, invalid }) => (
        <div className="form-row">
          <input
            id={id}
            className="input grow"
            type="password"
            value={pw}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            onChange={(e) => setPw(e.target.value)}
          />
          <Button
            onPress={() => {
              setError(undefined);
              must(api.POST("/api/v1/users/{id}/password", { params: { path: { id: user.id } }, body: { password: pw } }))
                .then(() => {
                  setPw("");
                  setDone("Password set");
                })
                .catch((e: unknown) => setError(message(e)));
            }}
          >
            Set password
          </Button>
          {done && (
            <span className="muted small" role="status">
              {done}
            </span>
          )}
        </div>
      )}
    </Field>
  );
}

const listPools = async () => (await must(api.GET("/api/v1/caller-id-pools"))).items;

export function CallerIDPoolsPage() {
  return (
    <CrudPage<Pool, { name: string; numbers: string }>
      title="Caller-ID pools"
      noun="caller-ID pool"
      list={listPools}
      rowName={(p) => p.name}
      columns={[
        { label: "Name", cell: (p) => p.name },
        { label: "Numbers", cell: (p) => p.numbers.join(", ") },
      ]}
      draft={(p) => ({ name: p?.name ?? "", numbers: (p?.numbers ?? []).join("\n") })}
      form={(d, set, e) => (
        <>
          <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
          <Field label="Numbers, one a line (E.164)" error={errorUnder(e, "numbers")}>
            {({ id, describedBy, invalid }) => (
              <textarea
                id={id}
                className="input"
                rows={5}
                value={d.numbers}
                aria-invalid={invalid || undefined}
                aria-describedby={describedBy}
                onChange={(ev) => set({ ...d, numbers: ev.target.value })}
              />
            )}
          </Field>
        </>
      )}
      save={async (d, p) => {
        const body = {
          name: d.name,
          numbers: d.numbers
            .split("\n")
            .map((n) => n.trim())
            .filter(Boolean),
        };
        if (p) await must(api.PATCH("/api/v1/caller-id-pools/{id}", { params: { path: { id: p.id } }, body }));
        else await must(api.POST("/api/v1/caller-id-pools", { body }));
      }}
      remove={(p) => must(api.DELETE("/api/v1/caller-id-pools/{id}", { params: { path: { id: p.id } } }))}
      removeText={(p) => `Agents and campaigns using ${p.name} show their trunk's number instead.`}
    />
  );
}

const listEntries = async () => (await must(api.GET("/api/v1/directory"))).items;

export function DirectoryPage() {
  return (
    <CrudPage<Entry, { name: string; number: string; company: string; notes: string }>
      title="Directory"
      noun="directory entry"
      list={listEntries}
      rowName={(x) => x.name}
      columns={[
        { label: "Name", cell: (x) => x.name },
        { label: "Number", cell: (x) => x.number },
        { label: "Company", cell: (x) => x.company },
        { label: "Notes", cell: (x) => x.notes },
      ]}
      draft={(x) => ({ name: x?.name ?? "", number: x?.number ?? "", company: x?.company ?? "", notes: x?.notes ?? "" })}
      form={(d, set, e) => (
        <>
          <div className="form-row">
            <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
            <TextInput label="Number" value={d.number} onChange={(number) => set({ ...d, number })} error={e.number} required />
          </div>
          <TextInput label="Company" value={d.company} onChange={(company) => set({ ...d, company })} error={e.company} />
          <TextInput label="Notes" value={d.notes} onChange={(notes) => set({ ...d, notes })} error={e.notes} />
        </>
      )}
      save={async (d, x) => {
        if (x) await must(api.PATCH("/api/v1/directory/{id}", { params: { path: { id: x.id } }, body: d }));
        else await must(api.POST("/api/v1/directory", { body: d }));
      }}
      remove={(x) => must(api.DELETE("/api/v1/directory/{id}", { params: { path: { id: x.id } } }))}
      removeText={(x) => `Agents no longer find ${x.name} when they look a number up.`}
    />
  );
}
