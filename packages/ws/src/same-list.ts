/** Whether two name lists hold the same names in the same order (service lists, as announced). */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i])
}
