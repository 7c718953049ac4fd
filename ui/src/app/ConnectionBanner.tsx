// ConnectionBanner says when the page is not live: connecting, lost and
// reconnecting (with a way to try at once), or ended by the server.
import { WifiOff } from "lucide-react";
import { useFloor } from "../stream/store";
import { Button } from "../ui/Button";
import { stream } from "./session";
import { useServerNow } from "./time";

export function ConnectionBanner() {
  const conn = useFloor((s) => s.conn);
  const offset = useFloor((s) => s.conn.offsetMs);
  const now = useServerNow() - offset;
  if (conn.status === "live" || conn.status === "idle") return null;
  if (conn.status === "connecting") {
    return (
      <div className="banner" role="status">
        Connecting to the server…
      </div>
    );
  }
  if (conn.status === "ended") {
    return (
      <div className="banner banner-error" role="alert">
        {conn.reason}
      </div>
    );
  }
  const wait = conn.retryAt ? Math.max(0, Math.ceil((conn.retryAt - now) / 1000)) : 0;
  return (
    <div className="banner banner-error" role="alert">
      <WifiOff size={16} aria-hidden />
      <span>
        Connection to the server lost. What you see may be out of date; your calls and state are kept on the server.
        {wait > 0 ? ` Reconnecting in ${wait} s.` : " Reconnecting…"}
      </span>
      <Button variant="quiet" onPress={() => stream.retryNow()}>
        Reconnect now
      </Button>
    </div>
  );
}
