// QueuesBoard: each queue's live figures (callers waiting and the longest
// wait, today's answered, abandoned and overflowed, service level and
// average speed of answer) from the queues' stats, kept current by the
// stream's queue.stats figures; and its members with their live states.
// A participant's pause is per queue: the board shows it, and a
// supervisor pauses or unpauses the participant in that queue.
import { useEffect, useState } from "react";
import { api, message, must } from "../api/client";
import { formatDuration } from "../app/time";
import { store, useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { StateIcon, stateLabel } from "../workspace/state";
import { useDefinitions } from "./definitions";

export function QueuesBoard() {
  const stats = useFloor((s) => s.queueStats);
  const agents = useFloor((s) => s.agents);
  const defs = useDefinitions();
  const [error, setError] = useState<string>();
  const pauses = useFloor((s) => s.participantPauses);
  useEffect(() => {
    must(api.GET("/api/v1/queues/stats"))
      .then((l) => store.queueStatsFrom(l.items))
      .catch((e: unknown) => setError(message(e)));
    must(api.GET("/api/v1/floor/participants"))
      .then((l) => store.participantsFrom(l.items))
      .catch((e: unknown) => setError(message(e)));
  }, []);
  const setPause = (ext: number, queue: number, paused: boolean) => {
    setError(undefined);
    must(api.POST("/api/v1/floor/participants/{id}/pause", { params: { path: { id: ext } }, body: { queue_id: queue, paused } })).catch(
      (e: unknown) => setError(message(e)),
    );
  };
  return (
    <section className="board" aria-label="Queues">
      <h1 className="page-title">Queues</h1>
      <ErrorText error={error ?? defs.error} />
      <table className="table" aria-label="Live queues">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" className="num">
              Waiting
            </th>
            <th scope="col" className="num">
              Longest wait
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
            <th scope="col">Members</th>
          </tr>
        </thead>
        <tbody>
          {defs.queues.map((q) => {
            const s = stats[q.id];
            return (
              <tr key={q.id}>
                <th scope="row">
                  {q.name} <span className="muted">{q.number}</span>
                </th>
                <td className={`num${s && s.waiting > 0 ? " strong" : ""}`}>{s?.waiting ?? "–"}</td>
                <td className="num">{s ? formatDuration(s.longest_wait_seconds * 1000) : "–"}</td>
                <td className="num">{s?.answered ?? "–"}</td>
                <td className="num">{s?.abandoned ?? "–"}</td>
                <td className="num">{s?.overflowed ?? "–"}</td>
                <td className="num">{s ? `${Math.round(s.service_level)}%` : "–"}</td>
                <td className="num">{s ? formatDuration(s.asa_seconds * 1000) : "–"}</td>
                <td>
                  <ul className="members" aria-label={`Members of ${q.name}`}>
                    {q.members.map((m) => {
                      const a = agents[m.extension_id];
                      if (!a) {
                        const since = pauses[m.extension_id]?.[q.id];
                        return (
                          <li key={m.extension_id} className={since ? "state state-paused" : "muted"}>
                            <span>
                              {m.number} · participant{since ? " · paused" : ""}
                            </span>
                            {m.kind === "participant" && (
                              <Button variant="quiet" className="btn-small" onPress={() => setPause(m.extension_id, q.id, !since)}>
                                {since ? `Unpause ${m.number} in ${q.name}` : `Pause ${m.number} in ${q.name}`}
                              </Button>
                            )}
                          </li>
                        );
                      }
                      return (
                        <li key={m.extension_id} className={`state state-${a.state}`}>
                          <StateIcon state={a.state} size={12} />
                          <span>
                            {a.name || m.number} · {stateLabel[a.state]}
                          </span>
                        </li>
                      );
                    })}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {defs.loaded && defs.queues.length === 0 && <p className="muted">The account has no queue.</p>}
    </section>
  );
}
