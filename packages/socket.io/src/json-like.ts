/**
 * A copy of `value` as Socket.IO's own JSON encoding would carry it: functions are dropped from
 * objects and become `null` in arrays; bytes, dates, maps and everything else the mesh codec
 * carries are kept. Cycles are left as they are (the codec then refuses them, as JSON would).
 */
export function jsonLike(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value === 'function') return undefined
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) {
    return value
  }
  if (seen.has(value)) return value
  seen.add(value)
  try {
    if (Array.isArray(value))
      return value.map((item) => (typeof item === 'function' ? null : jsonLike(item, seen)))
    if (value instanceof Map || value instanceof Set) return value
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'function') copy[key] = jsonLike(item, seen)
    }
    return copy
  } finally {
    seen.delete(value)
  }
}
