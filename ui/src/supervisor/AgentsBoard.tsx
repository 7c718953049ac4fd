// AgentsBoard: every agent of the account with their live state, for
// supervisors and administrators, fed by the stream.
import { useMemo } from "react";
import type { AgentView } from "../api/client";
import { Elapsed } from "../app/Elapsed";
import { useFloor } from "../stream/store";
import { StateIcon, stateLabel } from "../workspace/state";

const order: Record<string, number> = { on_call: 0, ringing: 1, wrapup: 2, preview: 3, idle: 4, paused: 5, logged_off: 6 };

export function AgentsBoard() {
  const agents = useFloor((s) => s.agents);
  const list = useMemo(
    () =>
      Object.values(agents).sort(
        (a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.number.localeCompare(b.number, undefined, { numeric: true }),
      ),
    [agents],
  );
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const a of list) c[a.state] = (c[a.state] ?? 0) + 1;
    return c;
  }, [list]);
  return (
    <main className="board" aria-label="Agents">
      <h1 className="page-title">Agents</h1>
      <ul className="counts" aria-label="Agents by state">
        {Object.entries(stateLabel).map(([state, label]) => (
          <li key={state} className={`count count-${state}`}>
            <StateIcon state={state as AgentView["state"]} size={14} />
            <span>{label}</span>
            <strong>{counts[state] ?? 0}</strong>
          </li>
        ))}
      </ul>
      <table className="table" aria-label="Live agents">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">State</th>
            <th scope="col">For</th>
            <th scope="col">Pause reason</th>
            <th scope="col">Calls now</th>
            <th scope="col">Phone</th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => {
            const threshold = a.state === "paused" ? (a.pause?.threshold_seconds ?? 0) * 1000 : undefined;
            return (
              <tr key={a.extension_id}>
                <th scope="row">
                  {a.name || "Agent"} <span className="muted">{a.number}</span>
                </th>
                <td>
                  <span className={`state state-${a.state}`}>
                    <StateIcon state={a.state} size={14} /> {stateLabel[a.state]}
                  </span>
                </td>
                <td className="num">
                  {a.state !== "logged_off" && <Elapsed from={a.since} thresholdMs={threshold} over={a.state === "paused" && a.pause_over_threshold} />}
                </td>
                <td>{a.pause?.name ?? ""}</td>
                <td className="num">{a.lines.length || ""}</td>
                <td>{a.phone_registered ? "registered" : "offline"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </main>
  );
}
