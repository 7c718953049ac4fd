import { describe, expect, it } from "vitest";
import { byHourOfDay } from "./HourChart";

const row = (hour: string, answered: number, inSL: number, abandoned: number, overflowed = 0) => ({
  queue_id: 1,
  hour,
  offered: answered + abandoned + overflowed,
  answered,
  answered_in_sl: inSL,
  abandoned,
  overflowed,
  service_level: 0,
  asa_seconds: 0,
  abandon_wait_seconds: 0,
});

describe("byHourOfDay", () => {
  it("sums the days' rows by local hour and counts the service level as the live figures do", () => {
    const nine = new Date(2026, 11, 3, 9).toISOString();
    const nineNext = new Date(2026, 11, 4, 9).toISOString();
    const ten = new Date(2026, 11, 3, 10).toISOString();
    const sums = byHourOfDay([row(nine, 3, 2, 1), row(nineNext, 1, 1, 0, 2), row(ten, 0, 0, 0, 1)]);
    expect(sums).toHaveLength(24);
    expect(sums[9]).toEqual({ hour: 9, answered: 4, abandoned: 1, overflowed: 2, sl: 60 });
    // An hour with only overflows has no service level.
    expect(sums[10]).toEqual({ hour: 10, answered: 0, abandoned: 0, overflowed: 1, sl: null });
  });
});
