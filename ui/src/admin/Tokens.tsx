// Tokens: the administrators' API tokens, for integrations (a CRM, a
// script). A token acts as the administrator who made it; it is shown
// once, when made, and only its first characters after that. Revoking
// one asks first.
import { Plus, Trash2 } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { Confirm } from "../ui/Confirm";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { TextInput, useFieldErrors } from "./form";

type Token = Schemas["APIToken"];

function when(iso?: string | null): string {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "never";
}

export function TokensPage() {
  const [tokens, setTokens] = useState<Token[]>();
  const [error, setError] = useState<string>();
  const [making, setMaking] = useState(false);
  const [revoking, setRevoking] = useState<Token>();
  const load = useCallback(() => {
    must(api.GET("/api/v1/tokens"))
      .then((l) => setTokens(l.items))
      .catch((e: unknown) => setError(message(e)));
  }, []);
  useEffect(load, [load]);
  return (
    <section className="board" aria-label="API tokens">
      <div className="panel-head">
        <h1 className="page-title">API tokens</h1>
        <Button variant="primary" onPress={() => setMaking(true)}>
          <Plus size={16} aria-hidden /> New token
        </Button>
      </div>
      <p className="muted small">A token signs an integration in as you: send it as "Authorization: Bearer …".</p>
      <ErrorText error={error} />
      <table className="table" aria-label="API tokens">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Starts with</th>
            <th scope="col">Made</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(tokens ?? []).map((t) => (
            <tr key={t.id}>
              <th scope="row">{t.name}</th>
              <td className="mono small">{t.prefix}…</td>
              <td>{when(t.created_at)}</td>
              <td>{when(t.last_used_at)}</td>
              <td className="row-actions">
                <Button variant="ghost" aria-label={`Revoke token ${t.name}`} onPress={() => setRevoking(t)}>
                  <Trash2 size={16} aria-hidden />
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {tokens && tokens.length === 0 && <p className="muted">None yet.</p>}
      {making && (
        <NewToken
          onClose={() => {
            setMaking(false);
            load();
          }}
        />
      )}
      {revoking && (
        <Confirm
          title={`Revoke token ${revoking.name}?`}
          action="Revoke"
          run={() => must(api.DELETE("/api/v1/tokens/{id}", { params: { path: { id: revoking.id } } }))}
          onClose={(done) => {
            setRevoking(undefined);
            if (done) load();
          }}
        >
          What uses it is refused from now on, and cannot be given the same token again.
        </Confirm>
      )}
    </section>
  );
}

function NewToken({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [made, setMade] = useState<string>();
  const errs = useFieldErrors();
  const make = async () => {
    errs.clear();
    try {
      setMade((await must(api.POST("/api/v1/tokens", { body: { name } }))).token);
    } catch (e) {
      errs.take(e);
    }
  };
  return (
    <Dialog title="New API token" isOpen onClose={onClose}>
      {made ? (
        <>
          <p className="secret" role="status">
            <span className="mono">{made}</span>
          </p>
          <p className="small">This is the only time the token is shown: copy it into the integration now.</p>
          <div className="dialog-actions">
            <Button variant="primary" onPress={onClose}>
              Done
            </Button>
          </div>
        </>
      ) : (
        <form
          className="admin-form"
          aria-label="New API token"
          onSubmit={(e) => {
            e.preventDefault();
            void make();
          }}
        >
          <TextInput label="Name (what uses it)" value={name} onChange={setName} error={errs.errors.name} required />
          <ErrorText error={errs.errors[""]} />
          <div className="dialog-actions">
            <Button onPress={onClose}>Cancel</Button>
            <Button type="submit" variant="primary">
              Create
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
