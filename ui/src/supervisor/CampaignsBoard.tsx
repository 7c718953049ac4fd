// CampaignsBoard: each campaign's live figures: leads remaining, today's
// calls dialled and connected, the abandoned rate against its target,
// and a power campaign's pacing; its members by state come straight from
// the live agents. The figures are read again whenever the stream says a
// campaign call took a step (placed, answered, abandoned, ended or
// disposed of), never on a timer.
import { useEffect, useState } from "react";
import { api, message, must, type Schemas } from "../api/client";
import { useFloor } from "../stream/store";
import { ErrorText } from "../ui/ErrorText";
import { StateIcon, stateLabel } from "../workspace/state";
import { useDefinitions } from "./definitions";

type Stats = Schemas["CampaignStats"];

export function CampaignsBoard() {
  const version = useFloor((s) => s.campaignVersion);
  const agents = useFloor((s) => s.agents);
  const defs = useDefinitions();
  const [stats, setStats] = useState<Stats[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    // A burst of steps (a power campaign's round) is read once.
    const t = setTimeout(() => {
      must(api.GET("/api/v1/campaigns/stats"))
        .then((l) => {
          setStats(l.items);
          setError(undefined);
        })
        .catch((e: unknown) => setError(message(e)));
    }, 300);
    return () => clearTimeout(t);
  }, [version]);
  return (
    <section className="board" aria-label="Campaigns">
      <h1 className="page-title">Campaigns</h1>
      <ErrorText error={error ?? defs.error} />
      {!stats && !error && <p className="muted">Loading…</p>}
      <table className="table" aria-label="Live campaigns">
        <thead>
          <tr>
            <th scope="col">Campaign</th>
            <th scope="col" className="num">
              Leads remaining
            </th>
            <th scope="col" className="num">
              Dialled today
            </th>
            <th scope="col" className="num">
              Connected
            </th>
            <th scope="col" className="num">
              Abandoned
            </th>
            <th scope="col">Pacing</th>
            <th scope="col">Agents</th>
          </tr>
        </thead>
        <tbody>
          {(stats ?? []).map((c) => {
            const members = defs.campaigns.find((d) => d.id === c.campaign_id)?.members ?? [];
            const byState: Record<string, number> = {};
            for (const m of members) {
              const a = agents[m.extension_id];
              if (a) byState[a.state] = (byState[a.state] ?? 0) + 1;
            }
            const over = c.type === "power" && c.abandoned_rate > c.abandon_target;
            return (
              <tr key={c.campaign_id}>
                <th scope="row">
                  {c.name} <span className="muted">{c.type}</span>
                  {!c.active && <span className="flag">on hold</span>}
                </th>
                <td className="num">{c.remaining}</td>
                <td className="num">{c.dialled}</td>
                <td className="num">{c.connected}</td>
                <td className="num">
                  {c.type === "power" ? (
                    <span className={over ? "is-over" : ""}>
                      {c.abandoned} · {c.abandoned_rate.toFixed(1)}% of {c.abandon_target}%{over && <span className="visually-hidden"> (over the target)</span>}
                    </span>
                  ) : (
                    "–"
                  )}
                </td>
                <td>
                  {c.pacing ? (
                    <span className="small">
                      ratio {c.pacing.ratio.toFixed(2)} · {c.pacing.dialling} ringing · {c.pacing.waiting} waiting · 24 h{" "}
                      {c.pacing.abandoned_rate.toFixed(1)}%
                    </span>
                  ) : (
                    <span className="muted small">preview</span>
                  )}
                </td>
                <td>
                  <ul className="members" aria-label={`Agents of ${c.name} by state`}>
                    {Object.entries(byState).map(([s, n]) => (
                      <li key={s} className={`state state-${s}`}>
                        <StateIcon state={s as Schemas["AgentState"]} size={12} />
                        <span>
                          {n} {stateLabel[s as Schemas["AgentState"]]}
                        </span>
                      </li>
                    ))}
                    {members.length === 0 && <li className="muted">no members</li>}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {stats && stats.length === 0 && <p className="muted">The account has no campaign.</p>}
    </section>
  );
}
