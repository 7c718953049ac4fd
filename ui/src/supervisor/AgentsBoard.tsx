// AgentsBoard: every agent of the account with their live state, for
// supervisors and administrators, fed by the stream: state and how long,
// the pause reason against its threshold and the wrap-up against its
// timeout (amber near, red past), the current call, calls today, the
// phone. Filters by state, queue and campaign; any column sorts. Each row
// has the supervisor's actions: force log off, campaign hold, and why no
// calls reach the agent. A floor of more than windowFrom agents scrolls
// inside the board and only the rows in view (and a few around) are in
// the page, so that hundreds of agents changing state stay smooth.
import { ArrowDown, ArrowUp, MoreHorizontal } from "lucide-react";
import { memo, useEffect, useMemo, useRef, useState, type UIEvent } from "react";
import { Menu, MenuItem, MenuTrigger, Popover, Section, Header } from "react-aria-components";
import { api, must, type AgentView } from "../api/client";
import { Elapsed } from "../app/Elapsed";
import { useAction } from "../app/useAction";
import { useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { ErrorText } from "../ui/ErrorText";
import { MappingsDialog, type MappingsAgent } from "../workspace/Mappings";
import { StateIcon, stateLabel } from "../workspace/state";
import { useDefinitions } from "./definitions";

const stateOrder: Record<string, number> = { on_call: 0, ringing: 1, wrapup: 2, preview: 3, idle: 4, paused: 5, logged_off: 6 };

type SortKey = "agent" | "state" | "for" | "reason" | "call" | "calls" | "phone";
const columns: { key: SortKey; label: string }[] = [
  { key: "agent", label: "Agent" },
  { key: "state", label: "State" },
  { key: "for", label: "For" },
  { key: "reason", label: "Pause reason" },
  { key: "call", label: "Current call" },
  { key: "calls", label: "Calls today" },
  { key: "phone", label: "Phone" },
];

/** colWidths keep the columns still while states and calls come and go. */
const colWidths = ["15%", "17%", "8%", "12%", "24%", "8%", "9%", "7%"];

/** windowFrom is the count of agents from which only the rows in view are drawn. */
export const windowFrom = 60;
/** rowHeight is a row's height in px when windowed (.agents-windowed in styles.css). */
const rowHeight = 44;
/** overscan rows are drawn above and below the view, for smooth scrolling. */
const overscan = 8;

/** windowOf is the rows to draw of count, for a view of height px scrolled to top px. */
export function windowOf(count: number, top: number, height: number): { first: number; last: number } {
  if (count <= windowFrom) return { first: 0, last: count };
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { first, last };
}

/** sortValue is what a column sorts agents by. */
function sortValue(a: AgentView, key: SortKey): string | number {
  switch (key) {
    case "agent":
      return a.number.padStart(12, "0");
    case "state":
      return stateOrder[a.state] ?? 9;
    case "for":
      return a.since ? Date.parse(a.since) : Number.MAX_SAFE_INTEGER;
    case "reason":
      return a.pause?.name ?? "";
    case "call":
      return a.lines[0]?.call.to || a.lines[0]?.call.from || "";
    case "calls":
      return a.calls_today;
    case "phone":
      return a.phone_registered ? 0 : 1;
  }
}

export function AgentsBoard() {
  const agents = useFloor((s) => s.agents);
  const defs = useDefinitions();
  const [state, setState] = useState("");
  const [queue, setQueue] = useState("");
  const [campaign, setCampaign] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "state", desc: false });
  const [why, setWhy] = useState<MappingsAgent>();
  const [view, setView] = useState({ top: 0, height: 720 });
  const scroller = useRef<HTMLDivElement>(null);
  const onScroll = (e: UIEvent<HTMLDivElement>) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight });
  // The view's height: when the board opens, and when the window resizes.
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setView((v) => (v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight })));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const all = useMemo(() => Object.values(agents), [agents]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const a of all) c[a.state] = (c[a.state] ?? 0) + 1;
    return c;
  }, [all]);
  const list = useMemo(() => {
    const inQueue = queue ? new Set(defs.queues.find((q) => String(q.id) === queue)?.members.map((m) => m.extension_id)) : undefined;
    const inCampaign = campaign
      ? new Set(defs.campaigns.find((c) => String(c.id) === campaign)?.members.map((m) => m.extension_id))
      : undefined;
    const rows = all.filter(
      (a) => (!state || a.state === state) && (!inQueue || inQueue.has(a.extension_id)) && (!inCampaign || inCampaign.has(a.extension_id)),
    );
    const dir = sort.desc ? -1 : 1;
    return rows.sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return dir * c || a.number.localeCompare(b.number, undefined, { numeric: true });
    });
  }, [all, state, queue, campaign, sort, defs]);

  const { first, last } = windowOf(list.length, view.top, view.height);

  return (
    <section className="board" aria-label="Agents">
      <h1 className="page-title">Agents</h1>
      <ul className="counts" aria-label="Agents by state">
        {Object.entries(stateLabel).map(([s, label]) => (
          <li key={s} className={`count count-${s}`}>
            <StateIcon state={s as AgentView["state"]} size={14} />
            <span>{label}</span>
            <strong>{counts[s] ?? 0}</strong>
          </li>
        ))}
      </ul>
      <div className="filters" role="group" aria-label="Filters">
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">All states</option>
            {Object.entries(stateLabel).map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Queue
          <select value={queue} onChange={(e) => setQueue(e.target.value)}>
            <option value="">All queues</option>
            {defs.queues.map((q) => (
              <option key={q.id} value={q.id}>
                {q.name} ({q.number})
              </option>
            ))}
          </select>
        </label>
        <label>
          Campaign
          <select value={campaign} onChange={(e) => setCampaign(e.target.value)}>
            <option value="">All campaigns</option>
            {defs.campaigns.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small" aria-live="polite">
          {list.length} of {all.length} agents
        </span>
      </div>
      <ErrorText error={defs.error} />
      <div className={list.length > windowFrom ? "board-scroll" : undefined} ref={scroller} onScroll={onScroll}>
        <table
          className={`table table-fixed${list.length > windowFrom ? " agents-windowed" : ""}`}
          aria-label="Live agents"
          aria-rowcount={list.length + 1}
        >
          <colgroup>
            {colWidths.map((w, i) => (
              <col key={i} style={{ width: w }} />
            ))}
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              {columns.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={sort.key === c.key ? (sort.desc ? "descending" : "ascending") : "none"}
                >
                  <button
                    type="button"
                    className="sort"
                    onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : false }))}
                  >
                    {c.label}
                    {sort.key === c.key && (sort.desc ? <ArrowDown size={12} aria-hidden /> : <ArrowUp size={12} aria-hidden />)}
                  </button>
                </th>
              ))}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {first > 0 && <Spacer rows={first} />}
            {list.slice(first, last).map((a, i) => (
              <AgentRow key={a.extension_id} a={a} index={first + i + 2} onWhy={setWhy} />
            ))}
            {last < list.length && <Spacer rows={list.length - last} />}
          </tbody>
        </table>
      </div>
      <MappingsDialog isOpen={why !== undefined} onClose={() => setWhy(undefined)} agent={why} />
    </section>
  );
}

/** Spacer stands for rows out of view, keeping the scroll height. */
function Spacer({ rows }: { rows: number }) {
  return (
    <tr className="spacer" aria-hidden="true">
      <td colSpan={colWidths.length} style={{ height: rows * rowHeight }} />
    </tr>
  );
}

/**
 * AgentRow is one agent's row. It redraws only when its agent changes
 * (the store keeps an unchanged agent's object), not on every event of
 * the floor: a board of 500 agents stays smooth.
 */
const AgentRow = memo(function AgentRow({ a, index, onWhy }: { a: AgentView; index: number; onWhy: (agent: MappingsAgent) => void }) {
  const defs = useDefinitions();
  const pauseLimit = a.state === "paused" ? (a.pause?.threshold_seconds ?? 0) * 1000 : undefined;
  const wrapLimit = a.state === "wrapup" && a.wrapup ? Date.parse(a.wrapup.due_at) - Date.parse(a.wrapup.since) : undefined;
  const line = a.lines[0];
  const label = `${a.name || "Agent"} (${a.number})`;
  const logoff = useAction(() => must(api.POST("/api/v1/floor/agents/{id}/logoff", { params: { path: { id: a.extension_id } } })));
  const hold = useAction(async (campaignId: number, onHold: boolean) => {
    await must(api.POST("/api/v1/floor/campaigns/{id}/hold", { params: { path: { id: campaignId } }, body: { extension_id: a.extension_id, on_hold: onHold } }));
    await defs.reload();
  });
  const memberOf = defs.campaigns.filter((c) => c.members.some((m) => m.extension_id === a.extension_id));
  const held = new Set(memberOf.filter((c) => c.members.some((m) => m.extension_id === a.extension_id && m.on_hold)).map((c) => c.id));
  return (
    <tr aria-rowindex={index}>
      <th scope="row">
        {a.name || "Agent"} <span className="muted">{a.number}</span>
        {held.size > 0 && <span className="flag">campaign hold</span>}
      </th>
      <td>
        <span className={`state state-${a.state}`}>
          <StateIcon state={a.state} size={14} /> {stateLabel[a.state]}
        </span>
        {a.pending.logoff && <span className="muted small"> · logs off after the call</span>}
      </td>
      <td className="num">
        {a.state !== "logged_off" && (
          <Elapsed from={a.since} thresholdMs={pauseLimit ?? wrapLimit} over={a.state === "paused" && a.pause_over_threshold} />
        )}
      </td>
      <td>{a.pause?.name ?? ""}</td>
      <td>
        {line && (
          <span className="board-call">
            <span>{line.call.direction.endsWith("_out") || line.call.direction === "campaign" ? line.call.to : line.call.from || line.call.to}</span>
            <span className="muted small">{line.campaign_name || line.queue_name || ""}</span>
            <Elapsed from={line.since} className="muted small" />
            {a.lines.length > 1 && <span className="muted small">{a.lines.length} lines</span>}
          </span>
        )}
      </td>
      <td className="num">{a.calls_today}</td>
      <td>{a.phone_registered ? "registered" : "offline"}</td>
      <td>
        <ErrorText error={logoff.error ?? hold.error} />
        <MenuTrigger>
          <Button variant="ghost" aria-label={`Actions for ${label}`}>
            <MoreHorizontal size={16} aria-hidden />
          </Button>
          <Popover className="popover" placement="bottom end">
            <Menu
              className="menu"
              aria-label={`Actions for ${label}`}
              onAction={(key) => {
                const k = String(key);
                if (k === "why") onWhy({ id: a.extension_id, name: label });
                else if (k === "logoff") void logoff.run();
                else if (k.startsWith("hold-")) {
                  const id = Number(k.slice(5));
                  void hold.run(id, !held.has(id));
                }
              }}
            >
              <MenuItem className="menu-item" id="why" textValue="Why no calls">
                Why no calls
              </MenuItem>
              {a.state !== "logged_off" && (
                <MenuItem className="menu-item" id="logoff" textValue="Force log off">
                  Force log off
                  <span className="menu-hint">{a.lines.length > 0 ? "after the call" : "now"}</span>
                </MenuItem>
              )}
              {memberOf.length > 0 && (
                <Section>
                  <Header className="menu-header">Campaign hold</Header>
                  {memberOf.map((c) => (
                    <MenuItem key={c.id} className="menu-item" id={`hold-${c.id}`} textValue={`${held.has(c.id) ? "Release" : "Hold"} ${c.name}`}>
                      {held.has(c.id) ? `Release from ${c.name}` : `Hold from ${c.name}`}
                    </MenuItem>
                  ))}
                </Section>
              )}
            </Menu>
          </Popover>
        </MenuTrigger>
      </td>
    </tr>
  );
});
