// Lookup is the number field of the dial pad and the transfer window: as
// the agent types, matching extensions (with their live status) and
// directory entries are listed; choosing one fills the number.
import { useEffect, useMemo, useState } from "react";
import { ComboBox, Input, Label, ListBox, ListBoxItem, Popover } from "react-aria-components";
import type { LookupResult } from "../api/client";
import * as cmd from "./commands";

interface Choice {
  id: string;
  number: string;
  name: string;
  detail: string;
  status?: string;
}

export interface LookupProps {
  label: string;
  value: string;
  onChange: (number: string) => void;
  onSubmit?: () => void;
  autoFocus?: boolean;
}

const statusWord: Record<string, string> = {
  idle: "available",
  on_call: "on a call",
  ringing: "ringing",
  paused: "paused",
  wrapup: "in wrap-up",
  offline: "offline",
  logged_off: "logged off",
  registered: "available",
};

export function Lookup({ label, value, onChange, onSubmit, autoFocus }: LookupProps) {
  const [result, setResult] = useState<LookupResult>();
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      cmd.lookup(value).then(
        (r) => live && setResult(r),
        () => live && setResult(undefined),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [value]);
  const items: Choice[] = useMemo(() => [
    ...(result?.extensions ?? []).map((e) => ({
      id: "e" + e.id,
      number: e.number,
      name: e.name,
      detail: "Extension",
      status: e.status,
    })),
    ...(result?.directory ?? []).map((d) => ({
      id: "d" + d.id,
      number: d.number,
      name: d.name,
      detail: d.company || "Directory",
    })),
  ], [result]);
  return (
    <ComboBox
      className="lookup"
      allowsCustomValue
      menuTrigger="focus"
      inputValue={value}
      onInputChange={onChange}
      items={items}
      onSelectionChange={(key) => {
        const c = items.find((i) => i.id === key);
        if (c) onChange(c.number);
      }}
    >
      <Label className="field-label">{label}</Label>
      <Input
        className="input input-number"
        autoFocus={autoFocus}
        autoComplete="off"
        inputMode="tel"
        onKeyDown={(e) => {
          if (e.key === "Enter" && onSubmit) onSubmit();
        }}
      />
      <Popover className="popover lookup-popover" placement="bottom start">
        <ListBox className="listbox" renderEmptyState={() => <div className="listbox-empty">No match: the number is dialled as typed</div>}>
          {(c: Choice) => (
            <ListBoxItem className="listbox-item" id={c.id} textValue={c.number} aria-label={`${c.name || c.number} ${c.number} ${c.status ? statusWord[c.status] ?? c.status : c.detail}`}>
              <span className="lookup-name">{c.name || c.number}</span>
              <span className="lookup-number">{c.number}</span>
              <span className="lookup-detail">{c.detail}</span>
              {c.status && <span className={`pill pill-${c.status}`}>{statusWord[c.status] ?? c.status}</span>}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </ComboBox>
  );
}
