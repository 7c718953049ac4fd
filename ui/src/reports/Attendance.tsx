// Attendance: the team's time and attendance over a range of days, as
// the server folds it from the journal: each agent's login time split by
// state (the parts add up to it, and the table says so), pause time by
// reason, the toolbar's counts, the first login, last logoff and logoffs
// by reason; a stacked bar of the split per agent; the table as CSV.
import { Download } from "lucide-react";
import { useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { formatDuration, localDateTime } from "../app/time";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { downloadCSV, today } from "./csv";

type Row = Schemas["AgentAttendance"];
type Day = Schemas["Day"];

/** parts are the states the login time splits into, in the bar's order. */
const parts: { key: keyof Day; label: string; cls: string }[] = [
  { key: "talk_seconds", label: "Talk", cls: "on_call" },
  { key: "ringing_seconds", label: "Ringing", cls: "ringing" },
  { key: "preview_seconds", label: "Preview", cls: "preview" },
  { key: "wrapup_seconds", label: "Wrap-up", cls: "wrapup" },
  { key: "idle_seconds", label: "Idle", cls: "idle" },
  { key: "productive_pause_seconds", label: "Productive pause", cls: "productive" },
  { key: "unproductive_pause_seconds", label: "Unproductive pause", cls: "paused" },
];

const counters: { key: keyof Day; label: string }[] = [
  { key: "calls", label: "Calls" },
  { key: "successful", label: "Successful" },
  { key: "unsure", label: "Unsure" },
  { key: "failed_numbers", label: "Failed numbers" },
  { key: "failed_contacts", label: "Failed contacts" },
];

const secs = (d: Day, k: keyof Day) => Number(d[k] ?? 0);
const hms = (s: number) => formatDuration(Math.round(s) * 1000);
/** addsUp: the parts make the login time, to the second. */
const addsUp = (d: Day) => Math.abs(parts.reduce((n, p) => n + secs(d, p.key), 0) - d.login_seconds) < 1;


export function AttendanceReport() {
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState(today());
  const [rows, setRows] = useState<Row[]>();
  const [error, setError] = useState<string>();
  const [field, setField] = useState<string>();
  useEffect(() => {
    setError(undefined);
    setField(undefined);
    must(api.GET("/api/v1/reports/attendance", { params: { query: { from, to } } }))
      .then((l) => setRows(l.items))
      .catch((e: unknown) => {
        setError(message(e));
        setField((e as { field?: string }).field);
      });
  }, [from, to]);
  const download = () => {
    if (!rows) return;
    // Durations in seconds, times in ISO 8601.
    downloadCSV(
      `attendance-${from}-to-${to}.csv`,
      ["agent", "number", "login_seconds", ...parts.map((p) => p.key), ...counters.map((c) => c.key), "first_login", "last_logoff"],
      rows.map((r) => [
        r.name,
        r.number,
        Math.round(r.total.login_seconds),
        ...parts.map((p) => Math.round(secs(r.total, p.key))),
        ...counters.map((c) => secs(r.total, c.key)),
        r.first_login ?? "",
        r.last_logoff ?? "",
      ]),
    );
  };
  const pauses = (rows ?? []).flatMap((r) => r.pause_days.map((p) => ({ agent: `${r.name} (${r.number})`, ...p })));
  const exportPauses = () =>
    downloadCSV(
      `pauses-${from}-to-${to}.csv`,
      ["date", "agent", "reason", "productive", "pauses", "seconds"],
      pauses.map((p) => [p.date, p.agent, p.reason, String(p.productive), p.pauses, Math.round(p.seconds)]),
    );
  return (
    <section className="board" aria-label="Time and attendance">
      <div className="panel-head">
        <h1 className="page-title">Time and attendance</h1>
        <Button onPress={download} isDisabled={!rows}>
          <Download size={16} aria-hidden /> Export CSV
        </Button>
      </div>
      <div className="filters" role="group" aria-label="Period">
        <label>
          From
          <input type="date" className="input" value={from} onChange={(e) => setFrom(e.target.value)} aria-invalid={field === "from" || undefined} />
        </label>
        <label>
          To
          <input type="date" className="input" value={to} onChange={(e) => setTo(e.target.value)} aria-invalid={field === "to" || undefined} />
        </label>
      </div>
      <ErrorText error={error} />
      <ul className="legend" aria-label="Legend">
        {parts.map((p) => (
          <li key={p.key}>
            <span className={`swatch seg-${p.cls}`} aria-hidden /> {p.label}
          </li>
        ))}
      </ul>
      {/* A wide table scrolls on its own, keyboard included. */}
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Time and attendance figures">
        <table className="table report" aria-label="Time and attendance">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col" className="num">
                Login
              </th>
              {parts.map((p) => (
                <th key={p.key} scope="col" className="num">
                  {p.label}
                </th>
              ))}
              <th scope="col">Adds up</th>
              {counters.map((c) => (
                <th key={c.key} scope="col" className="num">
                  {c.label}
                </th>
              ))}
              <th scope="col">First login</th>
              <th scope="col">Last logoff</th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((r) => (
              <tr key={r.extension_id}>
                <th scope="row">
                  {r.name} <span className="muted">{r.number}</span>
                  <StateBar day={r.total} />
                </th>
                <td className="num">{hms(r.total.login_seconds)}</td>
                {parts.map((p) => (
                  <td key={p.key} className="num">
                    {hms(secs(r.total, p.key))}
                  </td>
                ))}
                <td>{addsUp(r.total) ? "yes" : "no"}</td>
                {counters.map((c) => (
                  <td key={c.key} className="num">
                    {secs(r.total, c.key)}
                  </td>
                ))}
                <td>{localDateTime(r.first_login)}</td>
                <td>
                  {localDateTime(r.last_logoff)}
                  {Object.entries(r.logoffs).length > 0 && (
                    <span className="muted small">
                      {" "}
                      ({Object.entries(r.logoffs)
                        .map(([why, n]) => `${n} ${why}`)
                        .join(", ")}
                      )
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows && rows.length === 0 && <p className="muted">No agents.</p>}
      <div className="panel-head">
        <h2 className="section-title">Pauses by reason</h2>
        <Button onPress={exportPauses} isDisabled={!rows}>
          <Download size={16} aria-hidden /> Export pauses CSV
        </Button>
      </div>
      <table className="table" aria-label="Pauses by reason">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Day</th>
            <th scope="col">Reason</th>
            <th scope="col" className="num">
              Pauses
            </th>
            <th scope="col" className="num">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {pauses.map((p) => (
            <tr key={`${p.agent}-${p.date}-${p.reason}`}>
              <th scope="row">{p.agent}</th>
              <td>{p.date}</td>
              <td>
                {p.reason}
                {p.productive && <span className="muted small"> (productive)</span>}
              </td>
              <td className="num">{p.pauses}</td>
              <td className="num">{hms(p.seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows && pauses.length === 0 && <p className="muted">No pauses in the period.</p>}
    </section>
  );
}

/** StateBar draws the login time's split as one stacked bar; the table beside it has the figures. */
function StateBar({ day }: { day: Day }) {
  if (day.login_seconds <= 0) return null;
  return (
    <span className="statebar" aria-hidden>
      {parts.map((p) => {
        const w = (100 * secs(day, p.key)) / day.login_seconds;
        return w > 0 ? <span key={p.key} className={`seg seg-${p.cls}`} style={{ width: `${w}%` }} title={`${p.label} ${hms(secs(day, p.key))}`} /> : null;
      })}
    </span>
  );
}
