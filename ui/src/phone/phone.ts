// The page phone: for an agent on the WebRTC engine, the Agent Workspace
// is the phone. JsSIP registers over the server's SIP WebSocket with the
// credentials the API hands the signed-in agent (never in the bundle),
// and calls carry DTLS-SRTP audio to the server. The phone is only the
// audio: what a call is, and what the agent may do with it, stays the
// server's (the floor's views and controls).
import type { RTCSession } from "jssip/lib/RTCSession";
import type { RTCSessionEvent, UA } from "jssip/lib/UA";
import { useSyncExternalStore } from "react";
import { api, type Schemas } from "../api/client";

export type PhoneSettings = Schemas["PhoneSettings"];

export type PhoneStatus =
  /** No phone in the page: not started, or the agent uses a softphone. */
  | "off"
  | "external"
  | "connecting"
  | "ready"
  /** The microphone was refused or is missing: no call can be taken. */
  | "no_microphone"
  | "failed";

export interface PhoneState {
  status: PhoneStatus;
  /** Why the phone is not ready, for the agent to read. */
  problem?: string;
  /** A call ringing in the page that waits for the agent to answer. */
  ringing?: { from: string };
  /** Whether a call's audio is up in the page. */
  inCall: boolean;
  volume: number;
}

let state: PhoneState = { status: "off", inCall: false, volume: 1 };
const listeners = new Set<() => void>();

function set(patch: Partial<PhoneState>) {
  state = { ...state, ...patch };
  for (const l of listeners) l();
}

export function usePhone(): PhoneState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

let ua: UA | undefined;
let session: RTCSession | undefined;
let settings: PhoneSettings | undefined;
let audio: HTMLAudioElement | undefined;
let mic: MediaStream | undefined;

/** startPhone makes the page the agent's phone when the agent is on the WebRTC engine. */
export async function startPhone(): Promise<void> {
  if (ua) return;
  const r = await api.GET("/api/v1/floor/me/phone");
  if (r.error || !r.data) {
    set({ status: "failed", problem: r.error?.error?.message ?? "The phone settings could not be read." });
    return;
  }
  settings = r.data;
  if (settings.engine !== "webrtc") {
    set({ status: "external", problem: undefined });
    return;
  }
  set({ status: "connecting", problem: undefined });
  try {
    // Asked once up front: without a microphone the page must not
    // register, so the server offers this agent no call.
    mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (e) {
    set({
      status: "no_microphone",
      problem:
        (e as DOMException)?.name === "NotAllowedError"
          ? "The browser was not allowed to use the microphone: allow it for this site, then reload."
          : "No microphone was found: plug one in, then reload.",
    });
    return;
  }
  const JsSIP = (await import("jssip")).default;
  audio = document.createElement("audio");
  audio.autoplay = true;
  audio.dataset.phone = "remote";
  document.body.appendChild(audio);
  const socket = new JsSIP.WebSocketInterface(settings.websocket_url!);
  ua = new JsSIP.UA({
    sockets: [socket],
    uri: settings.uri!,
    authorization_user: settings.username!,
    realm: settings.realm!,
    ha1: settings.ha1!,
    display_name: settings.display_name,
    register: true,
    register_expires: 120,
    session_timers: false,
    user_agent: "callfloor-workspace",
  });
  ua.on("registered", () => set({ status: "ready", problem: undefined }));
  ua.on("unregistered", () => set({ status: "connecting" }));
  ua.on("registrationFailed", (e: { cause?: string }) =>
    set({ status: "failed", problem: `The phone could not register: ${e.cause ?? "unknown reason"}.` }),
  );
  ua.on("disconnected", () => set({ status: "connecting", problem: "The phone lost its connection; reconnecting…" }));
  ua.on("newRTCSession", (e: RTCSessionEvent) => {
    if (e.originator !== "remote") return;
    if (session) {
      e.session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
      return;
    }
    take(e.session, e.request.getHeader("Call-Info") ?? "");
  });
  ua.start();
}

/** take follows an incoming call: answered at once when the server asks (auto answer), else ringing. */
function take(s: RTCSession, callInfo: string) {
  session = s;
  s.on("peerconnection", (e) => {
    e.peerconnection.addEventListener("track", (t) => {
      if (audio) audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
    });
  });
  s.on("confirmed", () => set({ inCall: true, ringing: undefined }));
  const done = () => {
    session = undefined;
    stopRing();
    set({ inCall: false, ringing: undefined });
  };
  s.on("ended", done);
  s.on("failed", done);
  if (/answer-after=0/i.test(callInfo)) {
    answer();
  } else {
    set({ ringing: { from: s.remote_identity?.uri?.user ?? "" } });
    startRing();
  }
}

let ring: { ctx: AudioContext; timer: number } | undefined;

/** startRing plays a ring tone in the page (400 and 450 Hz, twice a cycle of 3 s) until stopRing. */
function startRing() {
  if (ring || typeof AudioContext === "undefined") return;
  const ctx = new AudioContext();
  const burst = (at: number) => {
    const gain = ctx.createGain();
    gain.gain.value = 0.08;
    gain.connect(ctx.destination);
    for (const f of [400, 450]) {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start(at);
      o.stop(at + 0.4);
    }
  };
  const cycle = () => {
    const t = ctx.currentTime;
    burst(t);
    burst(t + 0.6);
  };
  cycle();
  ring = { ctx, timer: window.setInterval(cycle, 3000) };
}

function stopRing() {
  if (!ring) return;
  window.clearInterval(ring.timer);
  void ring.ctx.close();
  ring = undefined;
}

/** answer takes the call ringing in the page. */
export function answer() {
  if (!session || !settings) return;
  stopRing();
  session.answer({
    mediaStream: mic,
    pcConfig: { iceServers: (settings.ice_servers ?? []).map((s) => ({ ...s })) },
  });
  set({ ringing: undefined });
}

/** decline turns the ringing call down. */
export function decline() {
  session?.terminate({ status_code: 486, reason_phrase: "Busy Here" });
}

/** setVolume sets how loud the far end is in the page, 0 to 1. */
export function setVolume(v: number) {
  const volume = Math.min(1, Math.max(0, v));
  if (audio) audio.volume = volume;
  set({ volume });
}

/** stopPhone unregisters and drops the page's phone (signing out). */
export function stopPhone() {
  stopRing();
  session?.terminate();
  ua?.stop();
  ua = undefined;
  mic?.getTracks().forEach((t) => t.stop());
  mic = undefined;
  audio?.remove();
  audio = undefined;
  set({ status: "off", inCall: false, ringing: undefined });
}
