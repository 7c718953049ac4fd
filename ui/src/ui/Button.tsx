// Button is the one button of the app: react-aria's (keyboard, press and
// focus handling) with our look. Every button has an accessible name.
import { useCallback } from "react";
import { Button as AriaButton, type ButtonProps as AriaProps } from "react-aria-components";

export interface ButtonProps extends AriaProps {
  variant?: "primary" | "secondary" | "danger" | "ghost" | "quiet";
  /** pressed marks a toggle (hold, mute) as on. */
  pressed?: boolean;
  /** shortcut is the key that presses this button (see workspace/Shortcuts). */
  shortcut?: string;
}

export function Button({ variant = "secondary", pressed, shortcut, className, ...rest }: ButtonProps) {
  // react-aria passes on only the attributes it knows: these two are set
  // on the element itself.
  const ref = useCallback(
    (el: HTMLButtonElement | null) => {
      if (!el) return;
      if (pressed === undefined) el.removeAttribute("aria-pressed");
      else el.setAttribute("aria-pressed", String(pressed));
      if (shortcut) el.setAttribute("aria-keyshortcuts", shortcut === "?" ? "Shift+?" : shortcut.toUpperCase());
      else el.removeAttribute("aria-keyshortcuts");
    },
    [pressed, shortcut],
  );
  return (
    <AriaButton
      {...rest}
      ref={ref}
      data-shortcut={shortcut}
      className={["btn", `btn-${variant}`, pressed ? "is-pressed" : "", typeof className === "string" ? className : ""].join(" ").trim()}
    />
  );
}
