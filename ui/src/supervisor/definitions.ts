// definitions: the account's queues and campaigns as the API last gave
// them, for the boards' filters, names and memberships. They are read
// once for all the boards, and again after an action changes them
// (campaign hold), never on a timer.
import { useEffect, useSyncExternalStore } from "react";
import { api, message, must, type Schemas } from "../api/client";

export interface Definitions {
  queues: Schemas["Queue"][];
  campaigns: Schemas["Campaign"][];
  error?: string;
  loaded: boolean;
}

let current: Definitions = { queues: [], campaigns: [], loaded: false };
let loading: Promise<void> | undefined;
const listeners = new Set<() => void>();

function set(next: Definitions) {
  current = next;
  for (const l of listeners) l();
}

/** reload reads the queues and campaigns again. */
export function reloadDefinitions(): Promise<void> {
  loading = Promise.all([must(api.GET("/api/v1/queues")), must(api.GET("/api/v1/campaigns"))])
    .then(([q, c]) => set({ queues: q.items, campaigns: c.items, loaded: true }))
    .catch((e: unknown) => set({ ...current, error: message(e), loaded: true }));
  return loading;
}

/** useDefinitions gives the queues and campaigns, read on first use. */
export function useDefinitions(): Definitions & { reload: () => Promise<void> } {
  const d = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  useEffect(() => {
    if (!loading) void reloadDefinitions();
  }, []);
  return { ...d, reload: reloadDefinitions };
}

/** forgetDefinitions drops them (sign-out). */
export function forgetDefinitions() {
  loading = undefined;
  set({ queues: [], campaigns: [], loaded: false });
}
