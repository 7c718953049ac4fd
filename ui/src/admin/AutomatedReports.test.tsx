import { describe, expect, it } from "vitest";
import { when } from "./AutomatedReports";

describe("when", () => {
  it("says in words when each kind of schedule sends and what it covers", () => {
    expect(when({ frequency: "daily", weekday: 1, month_day: 1, hour: 7 })).toBe("Every day at 07:00, the day before");
    expect(when({ frequency: "weekly", weekday: 1, month_day: 1, hour: 18 })).toBe("Every Monday at 18:00, the 7 days before");
    expect(when({ frequency: "monthly", weekday: 0, month_day: 28, hour: 0 })).toBe("On day 28 of each month at 00:00, the month before");
  });
});
