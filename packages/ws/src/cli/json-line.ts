/**
 * One value as one line of JSON, for output that scripts read line by line. Values JSON has no
 * form for get the nearest readable one: `undefined` → `null`, `Map` → object, `Set` → array,
 * `BigInt` → string, bytes → an array of numbers. `Date` is already ISO text.
 */
export function jsonLine(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Map) return Object.fromEntries(v)
      if (v instanceof Set) return [...v]
      if (typeof v === 'bigint') return v.toString()
      if (v instanceof Uint8Array) return Array.from(v)
      return v
    }) ?? 'null'
  )
}
