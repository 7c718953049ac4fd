// useMyAgent is the signed-in agent's live view from the store.
import type { AgentView } from "../api/client";
import { useFloor } from "../stream/store";

export function useMyAgent(): AgentView | undefined {
  const ext = useFloor((s) => s.auth.me?.extension?.id);
  return useFloor((s) => (ext === undefined ? undefined : s.agents[ext]));
}
