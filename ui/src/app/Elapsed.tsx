// Elapsed and Countdown show a live duration from a server timestamp.
// Only they re-render on the clock's tick, not the screens around them,
// and only when the second they show changes.
import { formatDuration, useServerClock } from "./time";

export interface ElapsedProps {
  /** from is when the period began (ISO, the server's clock). */
  from: string | null | undefined;
  /** thresholdMs, when set, marks the figure red past it (with words for screen readers). */
  thresholdMs?: number;
  /** over forces the red mark (the server said the threshold passed). */
  over?: boolean;
  className?: string;
  label?: string;
}

/** nearShare is the share of a threshold from which a figure is marked as near it (amber). */
export const nearShare = 0.8;

export function Elapsed({ from, thresholdMs, over, className = "", label }: ElapsedProps) {
  const start = from ? Date.parse(from) : undefined;
  const ms = 1000 * useServerClock((now) => (start === undefined ? 0 : Math.floor((now - start) / 1000)));
  const limited = thresholdMs !== undefined && thresholdMs > 0;
  const past = over || (limited && ms > thresholdMs);
  const near = !past && limited && ms >= thresholdMs * nearShare;
  return (
    <span className={`${className}${past ? " is-over" : ""}${near ? " is-near" : ""}`} aria-label={label}>
      {formatDuration(ms)}
      {past && <span className="visually-hidden"> (past the threshold)</span>}
      {near && <span className="visually-hidden"> (near the threshold)</span>}
    </span>
  );
}

export interface CountdownProps {
  /** until is the deadline (ISO, the server's clock). */
  until: string;
  urgentMs?: number;
  className?: string;
  label?: string;
  suffix?: string;
}

export function Countdown({ until, urgentMs = 10000, className = "", label, suffix = "" }: CountdownProps) {
  const end = Date.parse(until);
  const left = 1000 * useServerClock((now) => Math.max(0, Math.floor((end - now) / 1000)));
  return (
    <span className={`${className}${left < urgentMs ? " is-urgent" : ""}`} role="timer" aria-label={label}>
      {formatDuration(left)}
      {suffix}
    </span>
  );
}
