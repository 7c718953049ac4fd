import { describe, expect, it } from "vitest";
import { cell, toCSV } from "./csv";

describe("csv", () => {
  it("quotes what needs it, and writes would-be formulas as text", () => {
    expect(cell("plain")).toBe("plain");
    expect(cell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(cell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(cell("+44 20")).toBe("'+44 20");
    expect(cell(-5)).toBe("-5");
  });

  it("makes a header and a line per row", () => {
    expect(toCSV(["a", "b"], [[1, "x,y"]])).toBe('a,b\n1,"x,y"\n');
  });
});
