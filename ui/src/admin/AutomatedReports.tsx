// AutomatedReports: the administrators' mailed reports. The account's
// mail server (host, port, TLS, login, sender) with a test message, and
// the schedules that mail a report as CSV, daily, weekly or monthly in
// the account's time zone. Each schedule shows how its last send went
// and can be sent at once. The calendar runs on the server.
import { Mail, Send } from "lucide-react";
import { useEffect, useState } from "react";
import { localDateTime } from "../app/time";
import { api, message, must, type Schemas } from "../api/client";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { CrudPage } from "./Crud";
import { Check, errorUnder, Field, SelectInput, TextInput, useFieldErrors } from "./form";

type Schedule = Schemas["ReportSchedule"];
type SMTP = Schemas["SMTPSettings"];

export const reportTitles: Record<Schedule["report"], string> = {
  attendance: "Time and attendance",
  pauses: "Pause summary",
  dispositions: "Dispositions and outcomes",
  queues: "Queues by hour",
};

const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;

/** when says in words when a schedule sends. */
export function when(s: Pick<Schedule, "frequency" | "weekday" | "month_day" | "hour">): string {
  switch (s.frequency) {
    case "weekly":
      return `Every ${weekdays[s.weekday]} at ${hh(s.hour)}, the 7 days before`;
    case "monthly":
      return `On day ${s.month_day} of each month at ${hh(s.hour)}, the month before`;
    default:
      return `Every day at ${hh(s.hour)}, the day before`;
  }
}


function lastRun(s: Schedule): string {
  if (!s.last_status) return "Not sent yet";
  const at = localDateTime(s.last_run_at, "medium", "short");
  return s.last_status === "sent" ? `Sent ${at}` : `Failed ${at}: ${s.last_error}`;
}

const listSchedules = async () => (await must(api.GET("/api/v1/report-schedules"))).items;

interface Draft {
  name: string;
  report: string;
  frequency: string;
  weekday: string;
  monthDay: string;
  hour: string;
  recipients: string;
  enabled: boolean;
}

export function AutomatedReportsPage() {
  return (
    <>
      <MailServer />
      <CrudPage<Schedule, Draft>
        title="Report schedules"
        noun="report schedule"
        list={listSchedules}
        rowName={(s) => s.name}
        intro={<p className="muted">Each schedule mails its report as a CSV file with a short summary. Times are in the account&apos;s time zone.</p>}
        columns={[
          { label: "Name", cell: (s) => s.name },
          { label: "Report", cell: (s) => reportTitles[s.report] },
          { label: "When", cell: (s) => (s.enabled ? when(s) : "Off") },
          { label: "To", cell: (s) => s.recipients.join(", ") },
          { label: "Next", cell: (s) => localDateTime(s.next_run_at, "medium", "short") },
          {
            label: "Last send",
            cell: (s) => <span className={s.last_status === "failed" ? "field-error" : undefined}>{lastRun(s)}</span>,
          },
        ]}
        actions={(s, reload) => <SendNow schedule={s} onSent={reload} />}
        draft={(s) => ({
          name: s?.name ?? "",
          report: s?.report ?? "dispositions",
          frequency: s?.frequency ?? "daily",
          weekday: String(s?.weekday ?? 1),
          monthDay: String(s?.month_day ?? 1),
          hour: String(s?.hour ?? 7),
          recipients: (s?.recipients ?? []).join("\n"),
          enabled: s?.enabled ?? true,
        })}
        form={(d, set, e) => (
          <>
            <div className="form-row">
              <TextInput label="Name" value={d.name} onChange={(name) => set({ ...d, name })} error={e.name} required />
              <SelectInput
                label="Report"
                value={d.report}
                onChange={(report) => set({ ...d, report })}
                options={Object.entries(reportTitles).map(([value, label]) => ({ value, label }))}
                error={e.report}
              />
            </div>
            <div className="form-row">
              <SelectInput
                label="How often"
                value={d.frequency}
                onChange={(frequency) => set({ ...d, frequency })}
                options={[
                  { value: "daily", label: "Daily (covers the day before)" },
                  { value: "weekly", label: "Weekly (covers the 7 days before)" },
                  { value: "monthly", label: "Monthly (covers the month before)" },
                ]}
                error={e.frequency}
              />
              {d.frequency === "weekly" && (
                <SelectInput
                  label="Day"
                  value={d.weekday}
                  onChange={(weekday) => set({ ...d, weekday })}
                  options={weekdays.map((w, i) => ({ value: String(i), label: w }))}
                  error={e.weekday}
                />
              )}
              {d.frequency === "monthly" && (
                <TextInput label="Day of the month (1 to 28)" type="number" value={d.monthDay} onChange={(monthDay) => set({ ...d, monthDay })} error={e.month_day} />
              )}
              <SelectInput
                label="Hour"
                value={d.hour}
                onChange={(hour) => set({ ...d, hour })}
                options={Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: hh(h) }))}
                error={e.hour}
              />
            </div>
            <Field label="Send to, one address a line" error={errorUnder(e, "recipients")}>
              {({ id, describedBy, invalid }) => (
                <textarea
                  id={id}
                  className="input"
                  rows={3}
                  value={d.recipients}
                  aria-invalid={invalid || undefined}
                  aria-describedby={describedBy}
                  onChange={(ev) => set({ ...d, recipients: ev.target.value })}
                />
              )}
            </Field>
            <Check label="Enabled" checked={d.enabled} onChange={(enabled) => set({ ...d, enabled })} />
          </>
        )}
        save={async (d, s) => {
          const body = {
            name: d.name,
            report: d.report as Schedule["report"],
            frequency: d.frequency as Schedule["frequency"],
            weekday: Number(d.weekday),
            month_day: Number(d.monthDay),
            hour: Number(d.hour),
            recipients: d.recipients
              .split(/[\n,]/)
              .map((x) => x.trim())
              .filter(Boolean),
            enabled: d.enabled,
          };
          if (s) await must(api.PATCH("/api/v1/report-schedules/{id}", { params: { path: { id: s.id } }, body }));
          else await must(api.POST("/api/v1/report-schedules", { body }));
        }}
        remove={(s) => must(api.DELETE("/api/v1/report-schedules/{id}", { params: { path: { id: s.id } } }))}
        removeText={(s) => `${s.recipients.join(", ")} will no longer receive ${reportTitles[s.report]}. Reports already sent are not affected.`}
      />
    </>
  );
}

/** SendNow mails a schedule's report at once, for its last complete period. */
function SendNow({ schedule, onSent }: { schedule: Schedule; onSent: () => void }) {
  const [busy, setBusy] = useState(false);
  const press = async () => {
    setBusy(true);
    try {
      await must(api.POST("/api/v1/report-schedules/{id}/send", { params: { path: { id: schedule.id } } }));
    } catch {
      // The failure is recorded on the schedule and shown in its row.
    } finally {
      setBusy(false);
      onSent();
    }
  };
  return (
    <Button variant="ghost" aria-label={`Send ${schedule.name} now`} isDisabled={busy} onPress={() => void press()}>
      <Send size={16} aria-hidden />
    </Button>
  );
}

/** MailServer edits the account's SMTP settings; the password is written, never shown. */
function MailServer() {
  const [saved, setSaved] = useState<SMTP>();
  const [d, setD] = useState({ host: "", port: "587", security: "starttls", username: "", password: "", from: "" });
  const errs = useFieldErrors();
  const [note, setNote] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [testTo, setTestTo] = useState("");
  const [testError, setTestError] = useState<string>();
  const take = (m: SMTP) => {
    setSaved(m);
    setD({ host: m.host, port: String(m.port), security: m.security, username: m.username, password: "", from: m.from });
  };
  useEffect(() => {
    must(api.GET("/api/v1/settings/smtp"))
      .then(take)
      .catch((e: unknown) => errs.take(e));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const save = async () => {
    errs.clear();
    setNote(undefined);
    setBusy(true);
    try {
      take(
        await must(
          api.PUT("/api/v1/settings/smtp", {
            body: {
              host: d.host,
              port: Number(d.port),
              security: d.security as SMTP["security"],
              username: d.username,
              password: d.password || undefined,
              from: d.from,
            },
          }),
        ),
      );
      setNote("Saved.");
    } catch (e) {
      errs.take(e);
    } finally {
      setBusy(false);
    }
  };
  const test = async () => {
    setTestError(undefined);
    setNote(undefined);
    setBusy(true);
    try {
      await must(api.POST("/api/v1/settings/smtp/test", { body: { to: testTo } }));
      setNote(`A test message was accepted by the mail server for ${testTo}.`);
    } catch (e) {
      setTestError(message(e));
    } finally {
      setBusy(false);
    }
  };
  const e = errs.errors;
  return (
    <section className="board" aria-label="Mail server">
      <div className="panel-head">
        <h1 className="page-title">Mail server</h1>
      </div>
      <p className="muted">Automated reports are sent through this SMTP server. {saved && !saved.host && "None is set yet."}</p>
      <form
        className="admin-form"
        aria-label="Mail server"
        onSubmit={(ev) => {
          ev.preventDefault();
          void save();
        }}
      >
        <div className="form-row">
          <TextInput label="Host" value={d.host} onChange={(host) => setD({ ...d, host })} error={e.host} required />
          <TextInput label="Port" type="number" value={d.port} onChange={(port) => setD({ ...d, port })} error={e.port} />
          <SelectInput
            label="Security"
            value={d.security}
            onChange={(security) => setD({ ...d, security })}
            options={[
              { value: "starttls", label: "STARTTLS (usually port 587)" },
              { value: "tls", label: "TLS (usually port 465)" },
              { value: "none", label: "None (a relay on your network; no login)" },
            ]}
            error={e.security}
          />
        </div>
        <div className="form-row">
          <TextInput label="Username" value={d.username} onChange={(username) => setD({ ...d, username })} error={e.username} />
          <TextInput
            label="Password"
            type="password"
            value={d.password}
            onChange={(password) => setD({ ...d, password })}
            error={e.password}
            hint={saved?.password_set ? "Set: leave empty to keep it." : undefined}
          />
          <TextInput label="From address" value={d.from} onChange={(from) => setD({ ...d, from })} error={e.from} required />
        </div>
        <ErrorText error={e[""]} />
        <div className="form-row">
          <Button type="submit" variant="primary" isDisabled={busy}>
            Save mail server
          </Button>
        </div>
      </form>
      {saved?.host && (
        <div className="form-row align-end" role="group" aria-label="Test message">
          <TextInput label="Send a test message to" value={testTo} onChange={setTestTo} error={testError} />
          <Button isDisabled={busy || !testTo} onPress={() => void test()}>
            <Mail size={16} aria-hidden /> Send test
          </Button>
        </div>
      )}
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
    </section>
  );
}
