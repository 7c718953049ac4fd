// HourChart: the queues' calls and service level by hour of the day,
// for the eye: stacked bars of answered, abandoned and overflowed calls
// per hour (summed over the period's days and the chosen queues) and a
// line of the service level. The table under it has every figure; the
// chart says in words what it shows for screen readers.
import type { Schemas } from "../api/client";

type Hour = Schemas["QueueHour"];

export interface HourSum {
  hour: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  /** sl is the service level of the hour in percent, null when no caller was answered or abandoned. */
  sl: number | null;
}

/** byHourOfDay sums the rows by local hour of the day, as the live figures count the service level. */
export function byHourOfDay(rows: Hour[]): HourSum[] {
  const sums = Array.from({ length: 24 }, (_, hour) => ({ hour, answered: 0, abandoned: 0, overflowed: 0, inSL: 0 }));
  for (const r of rows) {
    const s = sums[new Date(r.hour).getHours()]!;
    s.answered += r.answered;
    s.abandoned += r.abandoned;
    s.overflowed += r.overflowed;
    s.inSL += r.answered_in_sl;
  }
  return sums.map(({ inSL, ...s }) => ({ ...s, sl: s.answered + s.abandoned > 0 ? (100 * inSL) / (s.answered + s.abandoned) : null }));
}

const W = 720;
const H = 180;
const pad = { left: 34, right: 40, top: 10, bottom: 22 };

export function HourChart({ rows }: { rows: Hour[] }) {
  const sums = byHourOfDay(rows);
  const used = sums.filter((s) => s.answered + s.abandoned + s.overflowed > 0);
  if (used.length === 0) return null;
  const first = Math.max(0, Math.min(...used.map((s) => s.hour)) - 1);
  const last = Math.min(23, Math.max(...used.map((s) => s.hour)) + 1);
  const shown = sums.slice(first, last + 1);
  const peak = Math.max(1, ...shown.map((s) => s.answered + s.abandoned + s.overflowed));
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const slot = plotW / shown.length;
  const y = (n: number) => pad.top + plotH - (plotH * n) / peak;
  const ySL = (p: number) => pad.top + plotH - (plotH * p) / 100;
  const slDots = shown.flatMap((s, i) => (s.sl === null ? [] : [{ x: pad.left + slot * (i + 0.5), y: ySL(s.sl) }]));
  const slPoints = slDots.map((d) => `${d.x},${d.y}`).join(" ");
  // Whole numbers of calls only: a mid line when it is one.
  const ticks = peak % 2 === 0 ? [0, 0.5, 1] : [0, 1];
  const busiest = used.reduce((m, s) => (s.answered + s.abandoned + s.overflowed > m.answered + m.abandoned + m.overflowed ? s : m));
  const total = used.reduce((n, s) => n + s.answered + s.abandoned + s.overflowed, 0);
  const label = `Calls by hour of the day: ${total} calls between ${first}:00 and ${last + 1}:00, the busiest hour ${busiest.hour}:00 with ${
    busiest.answered + busiest.abandoned + busiest.overflowed
  }. The figures are in the table below.`;
  return (
    <figure className="hour-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {ticks.map((f) => (
          <g key={f}>
            <line x1={pad.left} x2={W - pad.right} y1={y(peak * f)} y2={y(peak * f)} className="grid" />
            <text x={pad.left - 6} y={y(peak * f) + 4} className="axis" textAnchor="end">
              {Math.round(peak * f)}
            </text>
            <text x={W - pad.right + 6} y={ySL(100 * f) + 4} className="axis">
              {100 * f}%
            </text>
          </g>
        ))}
        {shown.map((s, i) => {
          const x = pad.left + slot * i + slot * 0.15;
          const w = slot * 0.7;
          let top = y(0);
          return (
            <g key={s.hour}>
              {(
                [
                  ["answered", s.answered],
                  ["abandoned", s.abandoned],
                  ["overflowed", s.overflowed],
                ] as const
              ).map(([k, n]) => {
                if (n === 0) return null;
                const h = y(0) - y(n);
                top -= h;
                return <rect key={k} x={x} y={top} width={w} height={h} className={`bar-${k}`} />;
              })}
              <text x={x + w / 2} y={H - 6} className="axis" textAnchor="middle">
                {s.hour}
              </text>
            </g>
          );
        })}
        {slDots.length > 1 && <polyline points={slPoints} className="sl-line" />}
        {slDots.map((d) => (
          <circle key={d.x} cx={d.x} cy={d.y} r={3.5} className="sl-dot" />
        ))}
      </svg>
      <figcaption className="legend small">
        <span className="key key-answered" /> Answered <span className="key key-abandoned" /> Abandoned <span className="key key-overflowed" /> Overflowed{" "}
        <span className="key key-sl" /> Service level (right scale)
      </figcaption>
    </figure>
  );
}
