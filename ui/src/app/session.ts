// The session: who is signed in, and the stream that runs while they are.
import { api, ApiError, must, type Me } from "../api/client";
import { StreamClient } from "../stream/stream";
import { store } from "../stream/store";

export const stream = new StreamClient(store, {
  onSessionEnded: (reason) => store.signedOut(reason),
  onLive: () => void refreshMine(),
  checkSession: async () => {
    try {
      await must(api.GET("/api/v1/auth/me"));
      return true;
    } catch (e) {
      return !(e instanceof ApiError && e.status === 401);
    }
  },
});

/** isAgent: the user is bound to an extension whose Agent tab is on. */
export function isAgent(me: Me | undefined): boolean {
  return !!me?.extension?.agent?.enabled;
}

/** boot finds out whether the browser holds a session, and starts it. */
export async function boot(): Promise<void> {
  try {
    const me = await must(api.GET("/api/v1/auth/me"));
    begin(me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) store.signedOut();
    else store.signedOut(e instanceof Error ? e.message : String(e));
  }
}

export async function signIn(account: string, username: string, password: string): Promise<void> {
  await must(api.POST("/api/v1/auth/login", { body: { account, username, password } }));
  const me = await must(api.GET("/api/v1/auth/me"));
  begin(me);
}

export async function signOut(): Promise<void> {
  stream.stop();
  try {
    await must(api.POST("/api/v1/auth/logout"));
  } finally {
    store.signedOut();
  }
}

function begin(me: Me): void {
  store.signedIn(me);
  stream.start();
  void api.GET("/api/v1/pause-reasons").then((r) => {
    if (r.data) store.pauseReasons(r.data.items);
  });
}

let mineRequests = 0;

/**
 * refreshMine reloads what the agent's page shows besides the live state
 * (today's figures, incomplete dispositions); when answers cross, only the
 * newest request's counts.
 */
export async function refreshMine(): Promise<void> {
  if (!isAgent(store.get().auth.me)) return;
  const n = ++mineRequests;
  const r = await api.GET("/api/v1/floor/me");
  if (r.data && n === mineRequests) store.mine(r.data);
}
