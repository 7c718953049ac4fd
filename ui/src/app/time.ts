// Durations on screen are computed from the server's timestamps and the
// clock offset measured when the stream connected, never counted by the
// page: a tab that wakes from the background shows the right figure at once.
import { useEffect, useState, useSyncExternalStore } from "react";
import { store, useFloor } from "../stream/store";

let listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  if (!timer) {
    timer = setInterval(tick, 250);
    document.addEventListener("visibilitychange", tick);
  }
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
      document.removeEventListener("visibilitychange", tick);
    }
  };
}

/** useServerNow is the server's current time in ms, re-rendering every quarter second. */
export function useServerNow(): number {
  const offset = useFloor((s) => s.conn.offsetMs);
  const [, setN] = useState(0);
  useEffect(() => subscribe(() => setN((n) => n + 1)), []);
  return Date.now() + offset;
}

/**
 * useServerClock is value(the server's current time in ms), read on every
 * quarter-second tick; the component re-renders only when the value
 * changes (a whole second, say), so a board of many timers redraws each
 * one once a second, not four times.
 */
export function useServerClock(value: (serverNow: number) => number): number {
  return useSyncExternalStore(subscribe, () => value(Date.now() + store.get().conn.offsetMs));
}

/** formatDuration shows ms as m:ss, or h:mm:ss past an hour. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** since is the time from an ISO timestamp to now, in ms (0 for none). */
export function since(iso: string | null | undefined, now: number): number {
  if (!iso) return 0;
  return now - Date.parse(iso);
}

/** localDateTime shows an ISO timestamp as a local date and time in the given styles; "" for none. */
export function localDateTime(
  iso: string | null | undefined,
  dateStyle: Intl.DateTimeFormatOptions["dateStyle"] = "short",
  timeStyle: Intl.DateTimeFormatOptions["timeStyle"] = "short",
): string {
  return iso ? new Date(iso).toLocaleString([], { dateStyle, timeStyle }) : "";
}

/** clockTime shows an ISO timestamp as local HH:MM. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function resetClockForTests(): void {
  listeners = new Set();
  if (timer) clearInterval(timer);
  timer = undefined;
}
