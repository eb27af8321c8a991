/** Prints rows as an aligned text table (the human form; `--json` prints data instead). */
export function printTable(headers: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(line(headers));
  for (const r of cells) console.log(line(r));
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function fmtNumber(value: number | undefined | null, digits = 1): string {
  return value === undefined || value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
