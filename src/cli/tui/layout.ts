/**
 * Pure text layout of the TUI: fitting a table's columns into the terminal width, truncating
 * cells, and the window of rows that keeps the selected one visible. Widths are terminal columns
 * (characters; the TUI's data is mostly ASCII, wide characters count as one).
 */

/** `text` cut to `width` characters, ending in `…` when cut; padded with spaces to `width` when `pad`. */
export function fit(text: string, width: number, pad = true): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (width <= 0) return '';
  const cut = flat.length > width ? `${flat.slice(0, Math.max(0, width - 1))}…` : flat;
  return pad ? cut.padEnd(width) : cut;
}

/** Gap between two columns. */
export const COLUMN_GAP = 2;

/**
 * Widths of the columns of a table with `headers` and `rows` within `total` characters: each
 * column as wide as its widest cell (header included, at most 48), then the widest columns shrunk
 * one character at a time (none below 4) until the table, gaps included, fits.
 */
export function columnWidths(headers: readonly string[], rows: readonly (readonly string[])[], total: number): number[] {
  const widths = headers.map((header, column) => Math.min(48, Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length))));
  const budget = total - COLUMN_GAP * Math.max(0, headers.length - 1);
  let sum = widths.reduce((a, b) => a + b, 0);
  while (sum > budget) {
    let widest = 0;
    for (let i = 1; i < widths.length; i += 1) if ((widths[i] ?? 0) > (widths[widest] ?? 0)) widest = i;
    if ((widths[widest] ?? 0) <= 4) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    sum -= 1;
  }
  return widths;
}

/** One table line: the cells fitted to `widths`, separated by {@link COLUMN_GAP} spaces. */
export function tableLine(cells: readonly string[], widths: readonly number[]): string {
  return widths.map((width, i) => fit(cells[i] ?? '', width)).join(' '.repeat(COLUMN_GAP));
}

/**
 * The first row to show so that row `cursor` of `count` is visible in a window of `height` rows:
 * the window moves only when the cursor leaves it (`previousStart` is where it was).
 */
export function windowStart(cursor: number, count: number, height: number, previousStart: number): number {
  if (height <= 0 || count <= height) return 0;
  let start = Math.min(previousStart, count - height);
  if (cursor < start) start = cursor;
  if (cursor >= start + height) start = cursor - height + 1;
  return Math.max(0, start);
}

/** `value` kept within `[0, count - 1]` (0 when `count` is 0). */
export function clampIndex(value: number, count: number): number {
  if (count <= 0) return 0;
  return Math.min(Math.max(0, value), count - 1);
}
