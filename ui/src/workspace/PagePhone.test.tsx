import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import { PagePhone } from "./PagePhone";

function phoneSettings(data: unknown) {
  return vi.spyOn(api, "GET").mockResolvedValue({ data, error: undefined, response: new Response() } as never);
}

describe("PagePhone", () => {
  afterEach(() => vi.restoreAllMocks());

  it("for an agent on a softphone, says the calls ring there and starts no phone", async () => {
    phoneSettings({ engine: "external" });
    const gum = vi.fn();
    Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: gum }, configurable: true });
    render(<PagePhone />);
    expect(await screen.findByText("Your calls ring on your softphone.")).toBeTruthy();
    expect(gum).not.toHaveBeenCalled();
  });

  it("with the microphone refused, says so and does not register", async () => {
    phoneSettings({ engine: "webrtc", websocket_url: "ws://127.0.0.1:5066", uri: "sip:u@r", username: "u", realm: "r", ha1: "0".repeat(32) });
    const gum = vi.fn().mockRejectedValue(new DOMException("denied", "NotAllowedError"));
    Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: gum }, configurable: true });
    render(<PagePhone />);
    const region = await screen.findByRole("region", { name: "Phone" });
    expect(await screen.findByText("No microphone")).toBeTruthy();
    expect(region.textContent).toMatch(/not allowed to use the microphone/);
    expect(screen.queryByText("Phone ready")).toBeNull();
  });
});
