import { render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { initialState, store } from "../stream/store";
import { agent, allPermissions } from "../test/fixtures";
import { StatusToolbar } from "./StatusToolbar";

const noop = () => {};
const show = (a: ReturnType<typeof agent>) => render(<StatusToolbar agent={a} onDial={noop} onSettings={noop} onHelp={noop} />);

describe("StatusToolbar", () => {
  beforeEach(() => {
    store.update(() => ({
      ...initialState,
      pauseReasons: [
        { id: 1, account_id: 1, name: "Wrapup", code: 0, productive: true, system: true, threshold_seconds: 0 },
        { id: 2, account_id: 1, name: "Lunch", code: 2, productive: false, system: false, threshold_seconds: 1800 },
      ] as never,
    }));
  });

  it("at idle offers the dial pad, pause and logoff", () => {
    show(agent());
    expect(screen.getByRole("status", { name: "Agent status" }).textContent).toMatch(/Available/);
    expect(screen.getByRole("button", { name: "Dial pad" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Pause" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Log off" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Settings" })).toBeNull();
  });

  it("shows only what the Agent tab permits", () => {
    show(agent({ permissions: { ...allPermissions, manual_dial: false, pause: false, logoff: false } }));
    expect(screen.queryByRole("button", { name: "Dial pad" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Pause" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Log off" })).toBeNull();
  });

  it("while paused: the reason, no dial pad, unpause; the timer turns red past the threshold", () => {
    const pause = { reason_id: 2, code: 2, name: "Lunch", productive: false, threshold_seconds: 1800 };
    const { unmount } = show(agent({ state: "paused", pause, since: new Date(Date.now() - 60_000).toISOString() }));
    expect(screen.getByRole("status", { name: "Agent status" }).textContent).toMatch(/Paused.*Lunch/);
    expect(screen.queryByRole("button", { name: "Dial pad" })).toBeNull();
    expect(screen.getByRole("button", { name: "Unpause" })).toBeTruthy();
    expect(screen.getByLabelText("Time in this state").className).not.toMatch(/is-over/);
    unmount();
    show(agent({ state: "paused", pause, since: new Date(Date.now() - 1801_000).toISOString() }));
    expect(screen.getByLabelText("Time in this state").className).toMatch(/is-over/);
  });

  it("settings appear only when auto answer is the agent's choice", () => {
    show(agent({ auto_answer_setting: "optional" }));
    expect(screen.getByRole("button", { name: "Settings" })).toBeTruthy();
  });

  it("a pause asked for during a call waits, and says so", () => {
    show(agent({ state: "on_call", pending: { pause: { reason_id: 2, code: 2, name: "Lunch", productive: false } } }));
    expect(screen.getByRole("note").textContent).toMatch(/Pause \(Lunch\) after this call/);
    expect(screen.getByRole("button", { name: "Cancel pause" })).toBeTruthy();
  });
});
