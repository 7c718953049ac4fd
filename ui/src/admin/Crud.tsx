// Crud: the shape every simple administrators' page shares: a table of
// the account's objects, a button that makes a new one, and per row an
// edit and a delete (which asks first, saying what it affects). Each page
// brings its columns and its form.
import { Pencil, Plus, Trash2 } from "lucide-react";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { message } from "../api/client";
import { Button } from "../ui/Button";
import { Confirm } from "../ui/Confirm";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import { useFieldErrors, type FieldErrors } from "./form";

export interface Column<T> {
  label: string;
  cell: (t: T) => ReactNode;
  num?: boolean;
}

export interface CrudProps<T extends { id: number }, D> {
  title: string;
  /** noun names one object ("pause reason"). */
  noun: string;
  list: () => Promise<T[]>;
  columns: Column<T>[];
  /** rowName names a row for its buttons ("Lunch"). */
  rowName: (t: T) => string;
  /** draft is the form's starting values: a new object's, or t's. */
  draft: (t?: T) => D;
  /** form renders the fields of a draft. */
  form: (d: D, set: (d: D) => void, errors: FieldErrors, t?: T) => ReactNode;
  save: (d: D, t?: T) => Promise<unknown>;
  remove: (t: T) => Promise<unknown>;
  /** removeText says what deleting t affects. */
  removeText: (t: T) => string;
  /** fixed marks the rows that cannot be changed (a system object), with why. */
  fixed?: (t: T) => string | undefined;
  /** actions are a row's own buttons besides edit and delete; reload lists the rows again. */
  actions?: (t: T, reload: () => void) => ReactNode;
  /** intro is shown under the title, before the table. */
  intro?: ReactNode;
}

export function CrudPage<T extends { id: number }, D>(p: CrudProps<T, D>) {
  const [items, setItems] = useState<T[]>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState<{ t?: T }>();
  const [deleting, setDeleting] = useState<T>();
  const { list } = p;
  const load = useCallback(() => {
    list()
      .then(setItems)
      .catch((e: unknown) => setError(message(e)));
  }, [list]);
  useEffect(load, [load]);
  return (
    <section className="board" aria-label={p.title}>
      <div className="panel-head">
        <h1 className="page-title">{p.title}</h1>
        <Button variant="primary" onPress={() => setEditing({})}>
          <Plus size={16} aria-hidden /> New {p.noun}
        </Button>
      </div>
      {p.intro}
      <ErrorText error={error} />
      <table className="table" aria-label={p.title}>
        <thead>
          <tr>
            {p.columns.map((c) => (
              <th key={c.label} scope="col" className={c.num ? "num" : undefined}>
                {c.label}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((t) => {
            const fixed = p.fixed?.(t);
            return (
              <tr key={t.id}>
                {p.columns.map((c, i) =>
                  i === 0 ? (
                    <th key={c.label} scope="row">
                      {c.cell(t)}
                    </th>
                  ) : (
                    <td key={c.label} className={c.num ? "num" : undefined}>
                      {c.cell(t)}
                    </td>
                  ),
                )}
                <td className="row-actions">
                  {fixed ? (
                    <span className="muted small">{fixed}</span>
                  ) : (
                    <>
                      {p.actions?.(t, load)}
                      <Button variant="ghost" aria-label={`Edit ${p.noun} ${p.rowName(t)}`} onPress={() => setEditing({ t })}>
                        <Pencil size={16} aria-hidden />
                      </Button>
                      <Button variant="ghost" aria-label={`Delete ${p.noun} ${p.rowName(t)}`} onPress={() => setDeleting(t)}>
                        <Trash2 size={16} aria-hidden />
                      </Button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {items && items.length === 0 && <p className="muted">None yet.</p>}
      {editing && (
        <Editor
          p={p}
          t={editing.t}
          onClose={(changed) => {
            setEditing(undefined);
            if (changed) load();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${p.noun} ${p.rowName(deleting)}?`}
          action="Delete"
          run={() => p.remove(deleting)}
          onClose={(done) => {
            setDeleting(undefined);
            if (done) load();
          }}
        >
          {p.removeText(deleting)}
        </Confirm>
      )}
    </section>
  );
}

function Editor<T extends { id: number }, D>({ p, t, onClose }: { p: CrudProps<T, D>; t?: T; onClose: (changed: boolean) => void }) {
  const [d, setD] = useState<D>(() => p.draft(t));
  const errs = useFieldErrors();
  const [busy, setBusy] = useState(false);
  const title = t ? `Edit ${p.noun} ${p.rowName(t)}` : `New ${p.noun}`;
  const submit = async () => {
    errs.clear();
    setBusy(true);
    try {
      await p.save(d, t);
      onClose(true);
    } catch (e) {
      errs.take(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} isOpen onClose={() => onClose(false)} wide>
      <form
        className="admin-form"
        aria-label={title}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {p.form(d, setD, errs.errors, t)}
        <ErrorText error={errs.errors[""]} />
        <div className="dialog-actions">
          <Button onPress={() => onClose(false)}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={busy}>
            {t ? "Save" : "Create"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
