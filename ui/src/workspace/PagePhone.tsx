// PagePhone shows the page phone of an agent on the WebRTC engine: whether
// it is ready (or why not), a call ringing in the page with Answer and
// Decline, and the call's volume. For an agent on a softphone it says so.
import { Phone, PhoneOff, Volume2 } from "lucide-react";
import { useEffect } from "react";
import { Button } from "../ui/Button";
import { answer, decline, setVolume, startPhone, stopPhone, usePhone } from "../phone/phone";

export function PagePhone() {
  const phone = usePhone();
  useEffect(() => {
    void startPhone();
    return () => stopPhone();
  }, []);
  if (phone.status === "off") return null;
  if (phone.status === "external") {
    return (
      <p className="phone-bar muted" role="status" aria-label="Phone">
        Your calls ring on your softphone.
      </p>
    );
  }
  const label: Record<string, string> = {
    connecting: "Phone connecting…",
    ready: "Phone ready",
    no_microphone: "No microphone",
    failed: "Phone not working",
  };
  return (
    <section className={`phone-bar phone-${phone.status}`} aria-label="Phone">
      <span role="status" className="phone-status">
        {phone.status === "ready" ? <Phone size={16} aria-hidden /> : <PhoneOff size={16} aria-hidden />}
        <span>
          {label[phone.status]}
          {phone.problem && <span className="phone-problem">: {phone.problem}</span>}
        </span>
      </span>
      {phone.ringing && (
        <span className="phone-ringing" role="alert">
          Call from {phone.ringing.from || "unknown"}
          <Button variant="primary" onPress={answer}>
            Answer
          </Button>
          <Button variant="danger" onPress={decline}>
            Decline
          </Button>
        </span>
      )}
      {phone.inCall && (
        <label className="phone-volume">
          <Volume2 size={16} aria-hidden />
          Volume
          <input
            type="range"
            min={0}
            max={100}
            value={Math.round(phone.volume * 100)}
            onChange={(e) => setVolume(Number(e.target.value) / 100)}
          />
        </label>
      )}
    </section>
  );
}
