// Plain-text tables for stdout.

export const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "n/a");
export const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : "n/a");

/** The header, a rule and the rows, columns padded to their widest cell; the first `leftAligned` columns are text. */
export function formatTable(header: string[], rows: string[][], leftAligned = 2): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < leftAligned ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}
