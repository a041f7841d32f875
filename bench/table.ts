/** Plain-text table and number formatting for the bench's console output. */

/** Formats a figure for a table cell: `-` for missing, thousands separators, at most 3 significant decimals. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-'
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits })
}

/**
 * Lays out rows under headers in columns separated by two spaces. Cells that look numeric are
 * right-aligned, text is left-aligned; a dashed line separates headers from the body.
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => isNumericCell(r[i] ?? '')))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Figures, `-` (none) and `FAILED` (a failed scenario's figure) keep a column right-aligned. */
function isNumericCell(cell: string): boolean {
  return cell === '-' || cell === 'FAILED' || /^-?[\d,]+(\.\d+)?×?$/.test(cell)
}
