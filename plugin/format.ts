/** Output as kubectl prints it: left-aligned columns three spaces apart, upper-case headers. */

/** The lines of a table; the last column is not padded (messages run to the end of the line). */
export function table(headers: string[], rows: string[][], indent = ''): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
  );
}
