// form: the administrators' form fields. Each shows the API's message
// for the field it edits right under it (the API names the field of a
// validation error), and is marked invalid for assistive technology.
import { useId, useState, type ReactNode } from "react";
import { ApiError, message } from "../api/client";

/** FieldErrors are the API's messages by field name ("" for the form as a whole). */
export type FieldErrors = Record<string, string>;

/** errorUnder finds the API's message for a field or anything under it ("members" finds "members[1].penalty"). */
export function errorUnder(e: FieldErrors, field: string): string | undefined {
  return Object.entries(e).find(([k]) => k === field || k.startsWith(field + ".") || k.startsWith(field + "["))?.[1];
}

/** useFieldErrors keeps the last answer's errors, by field. */
export function useFieldErrors() {
  const [errors, setErrors] = useState<FieldErrors>({});
  return {
    errors,
    clear: () => setErrors({}),
    /** take turns an error into messages: the field it names, or the form's. */
    take: (e: unknown, prefix = "") => {
      const field = e instanceof ApiError && e.field ? e.field.replace(prefix, "") : "";
      setErrors({ [field]: message(e) });
    },
  };
}

interface FieldProps {
  label: string;
  error?: string;
  hint?: string;
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode;
}

/** Field lays out a label, a control, a hint and the field's error. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : "", hint ? hintId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({ id, describedBy, invalid: !!error })}
      {hint && (
        <span id={hintId} className="muted small">
          {hint}
        </span>
      )}
      {error && (
        <span id={errId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

export function TextInput(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  hint?: string;
  type?: string;
  required?: boolean;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          className="input"
          type={props.type ?? "text"}
          value={props.value}
          required={props.required}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function SelectInput(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
  error?: string;
  hint?: string;
}) {
  return (
    <Field label={props.label} error={props.error} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          className="input"
          value={props.value}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          onChange={(e) => props.onChange(e.target.value)}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Check(props: { label: string; checked: boolean; onChange: (v: boolean) => void; error?: string }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} aria-invalid={!!props.error || undefined} />
      <label htmlFor={id}>{props.label}</label>
      {props.error && (
        <span className="field-error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}
