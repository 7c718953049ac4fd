// csv: the reports' CSV files, made in the page from what it shows.

/** today is the browser's local date, YYYY-MM-DD. */
export function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * cell escapes one value: quoted when it holds a comma, quote or line
 * break; and a value a spreadsheet would run as a formula (=, +, -, @)
 * is written as text.
 */
export function cell(v: string | number): string {
  const s = String(v);
  const safe = typeof v === "string" && /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** toCSV is a header line and one line per row. */
export function toCSV(head: string[], rows: (string | number)[][]): string {
  return [head.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n") + "\n";
}

/** downloadCSV saves the rows as a file. */
export function downloadCSV(name: string, head: string[], rows: (string | number)[][]): void {
  const url = URL.createObjectURL(new Blob([toCSV(head, rows)], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}
