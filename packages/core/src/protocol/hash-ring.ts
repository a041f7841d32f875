/**
 * A consistent-hashing ring over members named by string (node ids). Each member takes
 * `replicas` points on a 32-bit ring; a key belongs to the first point at or after its hash.
 * When a member joins or leaves, only the keys of its points move — about 1/N of them — which
 * is what `balance: { hash }` promises (a cache per key stays warm on the same provider).
 */
export class HashRing<M> {
  readonly #points: { at: number; member: M }[]

  /** `name` gives each member's stable name (its node id); `replicas` points per member. */
  constructor(members: readonly M[], name: (member: M) => string, replicas = 64) {
    const points: { at: number; member: M }[] = []
    for (const member of members) {
      const base = name(member)
      for (let r = 0; r < replicas; r++) points.push({ at: hash32(`${base}#${r}`), member })
    }
    // Ties (vanishingly rare) break by member name, so every relay builds the same ring.
    points.sort((a, b) => a.at - b.at || (name(a.member) < name(b.member) ? -1 : 1))
    this.#points = points
  }

  /**
   * The member owning `key`: the first one clockwise from the key's hash that `accept`s (e.g.
   * has the method), or undefined when none does. At most one lap.
   */
  pick(key: string, accept: (member: M) => boolean = () => true): M | undefined {
    const points = this.#points
    if (points.length === 0) return undefined
    const at = hash32(key)
    let low = 0
    let high = points.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (points[mid]!.at < at) low = mid + 1
      else high = mid
    }
    const tried = new Set<M>()
    for (let i = 0; i < points.length; i++) {
      const member = points[(low + i) % points.length]!.member
      if (tried.has(member)) continue
      if (accept(member)) return member
      tried.add(member)
    }
    return undefined
  }
}

/** FNV-1a over UTF-16 code units, then a final avalanche: fast and well spread for short keys. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
