// Reports: what happened over a range of days, for managers. The
// dispositions and outcomes by day, agent and queue or campaign, and
// each queue hour by hour (offered, answered, abandoned, overflowed,
// service level, average speed of answer) with a chart of the calls by
// hour. Each table exports as CSV.
import { Download } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { formatDuration } from "../app/time";
import { useFloor } from "../stream/store";
import { useDefinitions } from "../supervisor/definitions";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { downloadCSV, today } from "./csv";
import { HourChart } from "./HourChart";

type Disp = Schemas["DispositionCount"];
type Hour = Schemas["QueueHour"];

export function ReportsPage() {
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState(today());
  const [disps, setDisps] = useState<Disp[]>();
  const [hours, setHours] = useState<Hour[]>();
  const [error, setError] = useState<string>();
  const [chartQueue, setChartQueue] = useState("");
  const agents = useFloor((s) => s.agents);
  const defs = useDefinitions();
  useEffect(() => {
    setError(undefined);
    const query = { params: { query: { from, to } } };
    Promise.all([must(api.GET("/api/v1/reports/dispositions", query)), must(api.GET("/api/v1/reports/queues", query))])
      .then(([d, q]) => {
        setDisps(d.items);
        setHours(q.items);
      })
      .catch((e: unknown) => setError(message(e)));
  }, [from, to]);
  const agentName = (id: number) => {
    const a = agents[id];
    return a ? `${a.name} (${a.number})` : String(id);
  };
  const source = (d: Disp) =>
    d.campaign_id
      ? (defs.campaigns.find((c) => c.id === d.campaign_id)?.name ?? `campaign ${d.campaign_id}`)
      : d.queue_id
        ? (defs.queues.find((q) => q.id === d.queue_id)?.name ?? `queue ${d.queue_id}`)
        : "";
  const queueName = (id: number) => defs.queues.find((q) => q.id === id)?.name ?? String(id);
  const peak = useMemo(() => Math.max(1, ...(hours ?? []).map((h) => h.offered)), [hours]);
  return (
    <section className="board" aria-label="Reports">
      <h1 className="page-title">Reports</h1>
      <div className="filters" role="group" aria-label="Period">
        <label>
          From
          <input type="date" className="input" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" className="input" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <ErrorText error={error} />

      <div className="panel-head">
        <h2 className="section-title">Dispositions and outcomes</h2>
        <Button
          isDisabled={!disps}
          onPress={() =>
            downloadCSV(
              `dispositions-${from}-to-${to}.csv`,
              ["date", "agent", "queue_or_campaign", "category", "outcome", "calls"],
              (disps ?? []).map((d) => [d.date, agentName(d.extension_id), source(d), d.category, d.outcome, d.calls]),
            )
          }
        >
          <Download size={16} aria-hidden /> Export CSV
        </Button>
      </div>
      <table className="table" aria-label="Dispositions and outcomes">
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Agent</th>
            <th scope="col">Queue or campaign</th>
            <th scope="col">Category</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Calls
            </th>
          </tr>
        </thead>
        <tbody>
          {(disps ?? []).map((d, i) => (
            <tr key={i}>
              <th scope="row">{d.date}</th>
              <td>{agentName(d.extension_id)}</td>
              <td>{source(d)}</td>
              <td>{d.category}</td>
              <td>{d.outcome}</td>
              <td className="num">{d.calls}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {disps && disps.length === 0 && <p className="muted">No dispositions in the period.</p>}

      <div className="panel-head">
        <h2 className="section-title">Queues by hour</h2>
        <Button
          isDisabled={!hours}
          onPress={() =>
            downloadCSV(
              `queues-${from}-to-${to}.csv`,
              ["queue", "hour", "offered", "answered", "answered_in_sl", "abandoned", "overflowed", "service_level", "asa_seconds", "abandon_wait_seconds"],
              (hours ?? []).map((h) => [
                queueName(h.queue_id),
                h.hour,
                h.offered,
                h.answered,
                h.answered_in_sl,
                h.abandoned,
                h.overflowed,
                h.service_level.toFixed(1),
                h.asa_seconds.toFixed(1),
                h.abandon_wait_seconds.toFixed(1),
              ]),
            )
          }
        >
          <Download size={16} aria-hidden /> Export CSV
        </Button>
      </div>
      <label className="filters">
        Chart of
        <select value={chartQueue} onChange={(e) => setChartQueue(e.target.value)}>
          <option value="">All queues</option>
          {defs.queues.map((q) => (
            <option key={q.id} value={q.id}>
              {q.name}
            </option>
          ))}
        </select>
      </label>
      <HourChart rows={(hours ?? []).filter((h) => !chartQueue || String(h.queue_id) === chartQueue)} />
      <table className="table" aria-label="Queues by hour">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Hour</th>
            <th scope="col">Calls</th>
            <th scope="col" className="num">
              Offered
            </th>
            <th scope="col" className="num">
              Answered
            </th>
            <th scope="col" className="num">
              Abandoned
            </th>
            <th scope="col" className="num">
              Overflowed
            </th>
            <th scope="col" className="num">
              Service level
            </th>
            <th scope="col" className="num">
              Avg. speed of answer
            </th>
          </tr>
        </thead>
        <tbody>
          {(hours ?? []).map((h) => (
            <tr key={`${h.queue_id}-${h.hour}`}>
              <th scope="row">{queueName(h.queue_id)}</th>
              <td>{new Date(h.hour).toLocaleString([], { dateStyle: "short", timeStyle: "short" })}</td>
              <td>
                {/* The figures are beside it: the bar is for the eye. */}
                <span className="hourbar" aria-hidden>
                  <span className="seg seg-on_call" style={{ width: `${(100 * h.answered) / peak}%` }} />
                  <span className="seg seg-paused" style={{ width: `${(100 * h.abandoned) / peak}%` }} />
                  <span className="seg seg-wrapup" style={{ width: `${(100 * h.overflowed) / peak}%` }} />
                </span>
              </td>
              <td className="num">{h.offered}</td>
              <td className="num">{h.answered}</td>
              <td className="num">{h.abandoned}</td>
              <td className="num">{h.overflowed}</td>
              <td className="num">{Math.round(h.service_level)}%</td>
              <td className="num">{formatDuration(h.asa_seconds * 1000)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hours && hours.length === 0 && <p className="muted">No queue calls in the period.</p>}
    </section>
  );
}
