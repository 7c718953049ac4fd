// CustomerDialog: the agent edits the customer of their campaign lead, or
// adds a new one to its list, when the campaign allows it. Numbers may be
// typed as people write them; the server makes them E.164 and says which
// one it cannot read. A number added to the lead is dialled next; a new
// customer in a preview campaign is shown to the agent next.
import { Plus, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";
import { Input, Label, TextField } from "react-aria-components";
import { api, must } from "../api/client";
import { useAction } from "../app/useAction";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { ErrorText } from "../ui/ErrorText";
import type { MyLead } from "./LeadPanel";

interface Customer {
  name: string;
  numbers: string[];
  fields: Record<string, string>;
}

const edit = (c: Customer) => must(api.PATCH("/api/v1/floor/me/lead", { body: c }));
const add = (c: Customer) => must(api.POST("/api/v1/floor/me/leads", { body: c }));

export function CustomerDialog({ mode, data, isOpen, onClose }: { mode: "edit" | "add"; data: MyLead; isOpen: boolean; onClose: (saved: boolean) => void }) {
  const fields = data.campaign?.fields ?? [];
  const blank = (): Customer => ({ name: "", numbers: [""], fields: {} });
  const [c, setC] = useState<Customer>(blank);
  useEffect(() => {
    if (!isOpen) return;
    if (mode === "edit" && data.lead) {
      setC({ name: data.lead.name, numbers: data.lead.numbers.map((n) => n.number), fields: { ...data.lead.fields } });
    } else {
      setC(blank());
    }
  }, [isOpen, mode, data.lead]);
  const save = useAction(mode === "edit" ? edit : add);
  const submit = async () => {
    const body = { ...c, numbers: c.numbers.map((n) => n.trim()).filter(Boolean) };
    if (await save.run(body)) onClose(true);
  };
  const title = mode === "edit" ? "Edit customer" : "Add a new customer";
  return (
    <Dialog title={title} isOpen={isOpen} onClose={() => onClose(false)}>
      <form
        className="customer-form"
        aria-label={title}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <TextField className="field" value={c.name} onChange={(name) => setC({ ...c, name })} isRequired>
          <Label className="field-label">Name</Label>
          <Input className="input" />
        </TextField>
        <fieldset className="numbers">
          <legend className="field-label">Numbers, in the order they are tried</legend>
          {c.numbers.map((n, i) => (
            <div className="number-row" key={i}>
              <TextField
                className="field grow"
                aria-label={`Number ${i + 1}`}
                value={n}
                onChange={(v) => setC({ ...c, numbers: c.numbers.map((x, j) => (j === i ? v : x)) })}
              >
                <Input className="input" inputMode="tel" />
              </TextField>
              {c.numbers.length > 1 && (
                <Button variant="ghost" aria-label={`Remove number ${i + 1}`} onPress={() => setC({ ...c, numbers: c.numbers.filter((_, j) => j !== i) })}>
                  <Trash2 size={16} aria-hidden />
                </Button>
              )}
            </div>
          ))}
          <Button onPress={() => setC({ ...c, numbers: [...c.numbers, ""] })}>
            <Plus size={16} aria-hidden /> Add number
          </Button>
        </fieldset>
        {fields.map((f) => (
          <TextField
            key={f.name}
            className="field"
            value={c.fields[f.name] ?? ""}
            onChange={(v) => setC({ ...c, fields: { ...c.fields, [f.name]: v } })}
            isRequired={f.required}
          >
            <Label className="field-label">{f.label}</Label>
            <Input className="input" type={f.type === "date" ? "date" : f.type === "email" ? "email" : "text"} inputMode={f.type === "number" ? "decimal" : f.type === "phone" ? "tel" : undefined} />
          </TextField>
        ))}
        <ErrorText error={save.error} />
        <div className="dialog-actions">
          <Button onPress={() => onClose(false)}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={save.busy}>
            {mode === "edit" ? "Save" : "Add customer"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
