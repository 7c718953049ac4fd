// App: the login page, or the signed-in person's screen: agents get the
// Agent Workspace, supervisors and administrators the realtime boards.
import { LogOut } from "lucide-react";
import { useEffect } from "react";
import { Login } from "../login/Login";
import { useFloor } from "../stream/store";
import { Supervisor } from "../supervisor/Supervisor";
import { Button } from "../ui/Button";
import { Workspace } from "../workspace/Workspace";
import { ConnectionBanner } from "./ConnectionBanner";
import { boot, isAgent, signOut } from "./session";

export function App() {
  const auth = useFloor((s) => s.auth);
  useEffect(() => {
    void boot();
  }, []);
  if (auth.status === "checking") {
    return <p className="muted center">Loading…</p>;
  }
  if (auth.status === "anonymous" || !auth.me) {
    return <Login />;
  }
  const me = auth.me;
  return (
    <div className="app">
      <header className="appbar">
        <span className="brand-small">callfloor</span>
        <span className="appbar-who">
          {me.user.name || me.user.username}
          {me.extension && <span className="muted"> · ext {me.extension.number}</span>}
          <span className="muted"> · {me.account.name}</span>
        </span>
        <Button variant="ghost" onPress={() => void signOut()} aria-label="Sign out">
          <LogOut size={16} aria-hidden /> Sign out
        </Button>
      </header>
      <ConnectionBanner />
      {isAgent(me) ? <Workspace /> : <Supervisor />}
    </div>
  );
}
