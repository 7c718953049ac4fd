import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { DispositionForm, parseTags } from "./Disposition";

describe("DispositionForm", () => {
  it("lists the outcomes of the chosen category only, and needs both before submitting", async () => {
    const user = userEvent.setup();
    render(
      <DispositionForm
        callId="c1"
        party="+441632960042"
        outcomes={[
          { id: 1, category: "success", name: "Sale" },
          { id: 2, category: "fail", name: "Wrong number", fail_scope: "number" },
        ]}
        notes="typed during the call"
        tags={["vip"]}
      />,
    );
    const submit = screen.getByRole("button", { name: "Submit disposition" });
    expect(submit.hasAttribute("disabled") || submit.getAttribute("aria-disabled") === "true" || submit.hasAttribute("data-disabled")).toBe(true);
    expect((screen.getByLabelText("Notes") as HTMLTextAreaElement).value).toBe("typed during the call");
    expect((screen.getByLabelText("CRM tags") as HTMLInputElement).value).toBe("vip");
    await user.click(screen.getByRole("radio", { name: "Fail" }));
    expect(screen.getByRole("radio", { name: "Wrong number" })).toBeTruthy();
    expect(screen.queryByRole("radio", { name: "Sale" })).toBeNull();
    await user.click(screen.getByRole("radio", { name: "Success" }));
    await user.click(screen.getByRole("radio", { name: "Sale" }));
    expect(submit.hasAttribute("data-disabled")).toBe(false);
  });

  it("splits tags on commas and lines, without blanks or repeats", () => {
    expect(parseTags(" quote, vip ,\nvip,, ")).toEqual(["quote", "vip"]);
  });
});
