// Performance: today's counters for this agent, from the server.
import type { Schemas } from "../api/client";

const items: { key: keyof Schemas["Counters"]; label: string }[] = [
  { key: "calls", label: "Calls" },
  { key: "successful", label: "Successful" },
  { key: "unsure", label: "Unsure" },
  { key: "failed_numbers", label: "Failed numbers" },
  { key: "failed_contacts", label: "Failed contacts" },
];

export function Performance({ counters }: { counters?: Schemas["Counters"] }) {
  return (
    <section className="performance" aria-label="Today's performance">
      {items.map((i) => (
        <div className="kpi" key={i.key}>
          <span className="kpi-value">{counters ? counters[i.key] : "–"}</span>
          <span className="kpi-label">{i.label}</span>
        </div>
      ))}
    </section>
  );
}
