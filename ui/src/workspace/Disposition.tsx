// Disposition: after a call whose queue has dispositions, the agent picks
// a category, then one of its outcomes. The wrap-up's deadline is the
// server's: when it passes, the server records "Unsure - No agent
// submission" whether or not this page is open.
import { Send } from "lucide-react";
import { useEffect, useState } from "react";
import { Label, Radio, RadioGroup, TextArea, TextField, Input } from "react-aria-components";
import type { Category, Outcome } from "../api/client";
import { Countdown } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import * as cmd from "./commands";

export const categoryLabel: Record<Category, string> = { fail: "Fail", unsure: "Unsure", success: "Success" };
const categories: Category[] = ["fail", "unsure", "success"];

export interface DispositionFormProps {
  callId: string;
  /** Who the call was with, for the heading. */
  party: string;
  outcomes: Outcome[];
  /** The wrap-up's deadline (ISO); none for an incomplete disposition completed later. */
  dueAt?: string;
  notes?: string;
  tags?: string[];
  onDone?: () => void;
  title?: string;
  /** The outcomes (by name) that set a callback: choosing one asks when. */
  callbackNames?: string[];
}

/** parseTags splits what the agent typed into tags: commas or new lines, trimmed, no repeats. */
export function parseTags(s: string): string[] {
  const seen = new Set<string>();
  for (const t of s.split(/[,\n]/)) {
    const v = t.trim();
    if (v) seen.add(v);
  }
  return [...seen];
}

/** localInput is a time as a datetime-local input shows it, in the browser's zone. */
function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function DispositionForm({ callId, party, outcomes, dueAt, notes = "", tags = [], onDone, title, callbackNames = [] }: DispositionFormProps) {
  const [category, setCategory] = useState<Category | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [callbackAt, setCallbackAt] = useState(() => localInput(new Date(Date.now() + 60 * 60 * 1000)));
  const wantsTime = outcome !== null && callbackNames.includes(outcome);
  const [text, setText] = useState(notes);
  const [tagText, setTagText] = useState(tags.join(", "));
  const submit = useAction(cmd.submitDisposition);
  useEffect(() => {
    setText(notes);
    setTagText(tags.join(", "));
    // Prefill again only when the server's notes for another call arrive.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [callId]);
  const choices = outcomes.filter((o) => o.category === category);
  const send = async () => {
    if (!category || !outcome) return;
    const at = wantsTime ? new Date(callbackAt).toISOString() : undefined;
    if (await submit.run(callId, category, outcome, text, parseTags(tagText), at)) onDone?.();
  };
  return (
    <form
      className="panel disposition"
      aria-label="Disposition"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void send();
        }
      }}
    >
      <div className="panel-head">
        <h2>{title ?? `How did the call with ${party} go?`}</h2>
        {dueAt && <Countdown until={dueAt} className="countdown" label="Wrap-up time left" suffix=" left" />}
      </div>
      <RadioGroup
        className="categories"
        aria-label="Category"
        value={category}
        onChange={(v) => {
          setCategory(v as Category);
          setOutcome(null);
        }}
        orientation="horizontal"
      >
        {categories.map((c) => (
          <Radio key={c} value={c} className={`chip chip-${c}`}>
            {categoryLabel[c]}
          </Radio>
        ))}
      </RadioGroup>
      {category && (
        <RadioGroup className="outcomes" aria-label="Outcome" value={outcome} onChange={setOutcome}>
          {choices.length === 0 && <p className="muted">There are no {categoryLabel[category]} outcomes for this call.</p>}
          {choices.map((o) => (
            <Radio key={o.id} value={o.name} className="chip">
              {o.name}
            </Radio>
          ))}
        </RadioGroup>
      )}
      {wantsTime && (
        <TextField className="field" value={callbackAt} onChange={setCallbackAt} isRequired>
          <Label className="field-label">Call back at</Label>
          <Input className="input" type="datetime-local" />
        </TextField>
      )}
      <div className="form-row">
        <TextField className="field grow" value={text} onChange={setText}>
          <Label className="field-label">Notes</Label>
          <TextArea className="input" rows={3} maxLength={2000} />
        </TextField>
        <TextField className="field" value={tagText} onChange={setTagText}>
          <Label className="field-label">CRM tags</Label>
          <Input className="input" placeholder="comma separated" />
        </TextField>
      </div>
      <ErrorText error={submit.error} />
      <div className="dialog-actions">
        <Button type="submit" variant="primary" isDisabled={!category || !outcome || submit.busy} >
          <Send size={16} aria-hidden /> Submit disposition
        </Button>
      </div>
    </form>
  );
}
