import { describe, expect, it } from "vitest";
import { windowFrom, windowOf } from "./AgentsBoard";

describe("windowOf", () => {
  it("draws every row of a small floor", () => {
    expect(windowOf(windowFrom, 5000, 400)).toEqual({ first: 0, last: windowFrom });
  });
  it("draws the rows in view and a few around them", () => {
    // 44 px rows, a 440 px view: rows 0-9 in view, 8 more below.
    expect(windowOf(500, 0, 440)).toEqual({ first: 0, last: 18 });
    // Scrolled to row 100: 8 above, the 10 in view, 8 below.
    expect(windowOf(500, 4400, 440)).toEqual({ first: 92, last: 118 });
  });
  it("stops at the last row", () => {
    expect(windowOf(500, 500 * 44, 440)).toEqual({ first: 492, last: 500 });
  });
});
