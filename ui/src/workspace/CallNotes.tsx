// CallNotes: notes and CRM tags typed during a call. They are saved on
// the server as the agent types (a pause in typing, or leaving the field),
// so a reload or the disposition form finds them there.
import { Check } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Input, Label, TextArea, TextField } from "react-aria-components";
import type { Schemas } from "../api/client";
import { useAction } from "../app/useAction";
import { ErrorText } from "../ui/ErrorText";
import * as cmd from "./commands";
import { parseTags } from "./Disposition";

export function CallNotes({ callId, saved }: { callId: string; saved?: Schemas["CallNotes"] | null }) {
  const [notes, setNotes] = useState(saved?.notes ?? "");
  const [tags, setTags] = useState((saved?.tags ?? []).join(", "));
  const save = useAction(cmd.saveNotes);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Saves go one after another, each with what the fields hold when it
  // is sent: two requests in flight could reach the server in either
  // order, and an older one arriving last would undo the newer text.
  const latest = useRef({ callId, notes, tags });
  latest.current = { callId, notes, tags };
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const send = () => {
    const id = callId;
    queue.current = queue.current.then(() => {
      const now = latest.current;
      return now.callId === id ? save.run(id, now.notes, parseTags(now.tags)) : undefined;
    });
  };
  const serverNotes = saved?.notes ?? "";
  const serverTags = (saved?.tags ?? []).join(", ");
  const dirty = notes !== serverNotes || parseTags(tags).join(", ") !== serverTags;

  // Another call, or the server's copy from another tab: take it unless
  // the agent is typing something newer here.
  useEffect(() => {
    setNotes(serverNotes);
    setTags(serverTags);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [callId]);

  const flush = () => {
    clearTimeout(timer.current);
    if (dirty) send();
  };
  useEffect(() => {
    clearTimeout(timer.current);
    if (dirty) timer.current = setTimeout(send, 800);
    return () => clearTimeout(timer.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [notes, tags]);

  return (
    <section className="panel call-notes" aria-label="Call notes">
      <div className="form-row">
        <TextField className="field grow" value={notes} onChange={setNotes} onBlur={flush}>
          <Label className="field-label">Notes</Label>
          <TextArea className="input" rows={3} maxLength={4000} />
        </TextField>
        <TextField className="field" value={tags} onChange={setTags} onBlur={flush}>
          <Label className="field-label">CRM tags</Label>
          <Input className="input" placeholder="comma separated" />
        </TextField>
      </div>
      <div className="saved-state" aria-live="polite">
        {save.busy ? "Saving…" : dirty ? "Not saved yet" : serverNotes || serverTags ? <><Check size={14} aria-hidden /> Saved</> : ""}
      </div>
      <ErrorText error={save.error} />
    </section>
  );
}
