import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { initialState, store } from "../stream/store";
import { Countdown, Elapsed } from "./Elapsed";

describe("Elapsed", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-12-03T10:00:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
    store.update(() => initialState);
  });

  it("counts from the server's timestamp, corrected by the clock offset", () => {
    // The browser's clock is 5 s behind the server's.
    store.update((s) => ({ ...s, conn: { ...s.conn, offsetMs: 5000 } }));
    render(<Elapsed from="2026-12-03T10:00:00Z" label="t" />);
    expect(screen.getByLabelText("t").textContent).toBe("0:05");
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByLabelText("t").textContent).toBe("1:05");
  });

  it("a tab that slept shows the right figure at once", () => {
    render(<Elapsed from="2026-12-03T09:00:00Z" label="t" />);
    // No tick ran while the tab was hidden; the clock moved on.
    vi.setSystemTime(new Date("2026-12-03T10:30:00Z"));
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    expect(screen.getByLabelText("t").textContent).toBe("1:30:00");
  });

  it("marks the figure past its threshold, in words too", () => {
    render(<Elapsed from="2026-12-03T09:59:00Z" thresholdMs={30_000} label="t" />);
    expect(screen.getByLabelText("t").className).toMatch(/is-over/);
    expect(screen.getByLabelText("t").textContent).toMatch(/past the threshold/);
  });

  it("marks the figure near its threshold in amber, then past it in red", () => {
    // 50 s into a 60 s threshold: near (80% and more), not past.
    render(<Elapsed from="2026-12-03T09:59:10Z" thresholdMs={60_000} label="t" />);
    expect(screen.getByLabelText("t").className).toMatch(/is-near/);
    expect(screen.getByLabelText("t").textContent).toMatch(/near the threshold/);
    act(() => vi.advanceTimersByTime(15_000));
    expect(screen.getByLabelText("t").className).toMatch(/is-over/);
    expect(screen.getByLabelText("t").className).not.toMatch(/is-near/);
  });

  it("counts down to the server's deadline and stops at zero", () => {
    render(<Countdown until="2026-12-03T10:00:20Z" label="left" />);
    expect(screen.getByLabelText("left").textContent).toBe("0:20");
    act(() => vi.advanceTimersByTime(30_000));
    expect(screen.getByLabelText("left").textContent).toBe("0:00");
  });
});
