import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, type Schemas } from "../api/client";
import { allPermissions } from "../test/fixtures";
import { AgentTab } from "./Extensions";

const ext = (over: Partial<Schemas["Extension"]>): Schemas["Extension"] => ({
  id: 9,
  account_id: 1,
  number: "205",
  name: "Extension 205",
  sip_username: "205-abc",
  queues_feature: false,
  agent_status: "not_activated",
  agent: {
    enabled: false,
    phone_engine: "webrtc",
    outbound_queue_id: null,
    permissions: allPermissions,
    auto_answer: "off",
    wrapup_timeout_seconds: 60,
    caller_id_pool_id: null,
    randomise_caller_id: false,
  },
  created_at: "2026-12-03T10:00:00Z",
  updated_at: "2026-12-03T10:00:00Z",
  ...over,
});

describe("AgentTab", () => {
  afterEach(() => vi.restoreAllMocks());

  it("on an account without activation says so, and shows the API's refusal next to Enabled", async () => {
    const user = userEvent.setup();
    const put = vi.spyOn(api, "PUT").mockResolvedValue({
      error: { error: { code: "agent_not_activated", message: "The account has no agent activation.", field: "agent.enabled" } },
      response: new Response(null, { status: 403 }),
    } as never);
    render(<AgentTab ext={ext({})} choices={{ queues: [], pools: [] }} onSaved={() => {}} />);
    expect(screen.getByText(/holds no agent activation/)).toBeTruthy();
    await user.click(screen.getByLabelText("Enabled: this extension is an agent"));
    await user.click(screen.getByRole("button", { name: "Save Agent tab" }));
    expect(put).toHaveBeenCalledOnce();
    expect((await screen.findByRole("alert")).textContent).toBe("The account has no agent activation.");
    expect(screen.getByLabelText("Enabled: this extension is an agent").getAttribute("aria-invalid")).toBe("true");
  });

  it("activated but not enabled says so; enabled shows the settings", async () => {
    const user = userEvent.setup();
    render(<AgentTab ext={ext({ agent_status: "not_enabled" })} choices={{ queues: [], pools: [] }} onSaved={() => {}} />);
    expect(screen.getByText(/this extension is not an agent/)).toBeTruthy();
    expect(screen.queryByLabelText("Phone engine")).toBeNull();
    await user.click(screen.getByLabelText("Enabled: this extension is an agent"));
    expect(screen.getByLabelText("Phone engine")).toBeTruthy();
    expect(screen.getByRole("group", { name: /Permissions/ })).toBeTruthy();
  });
});
