/**
 * A small seeded PRNG (sfc32) so a fuzz run can be replayed: the same seed gives the same
 * sequence of messages (timing between processes still varies, so a replay reproduces the input,
 * not necessarily the interleaving).
 */
export class Prng {
  readonly seed: number
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    this.seed = seed >>> 0
    // splitmix32 spreads a small seed over the four words of state.
    let s = this.seed
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** A seed from `FUZZ_SEED` when set (decimal or 0x hex), else a fresh random one. */
  static seedFromEnv(env: Record<string, string | undefined> = process.env): number {
    const raw = env.FUZZ_SEED
    if (raw !== undefined && raw !== '') {
      const value = Number(raw)
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new Error(`Invalid FUZZ_SEED=${JSON.stringify(raw)}: expected a non-negative integer`)
      }
      return value >>> 0
    }
    return crypto.getRandomValues(new Uint32Array(1))[0]!
  }

  /** A derived generator, so each batch or socket has its own stream independent of the others' lengths. */
  fork(salt: number): Prng {
    return new Prng((this.seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0)
  }

  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    let total = 0
    for (const [weight] of entries) total += weight
    let roll = this.next() * total
    for (const [weight, value] of entries) {
      roll -= weight
      if (roll < 0) return value
    }
    return entries[entries.length - 1]![1]
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      const word = this.uint32()
      out[i] = word
      if (i + 1 < length) out[i + 1] = word >>> 8
      if (i + 2 < length) out[i + 2] = word >>> 16
      if (i + 3 < length) out[i + 3] = word >>> 24
    }
    return out
  }

  /** A short printable or unicode string. */
  string(maxLength = 24): string {
    const length = this.int(0, maxLength)
    let out = ''
    for (let i = 0; i < length; i++) {
      out += this.chance(0.9)
        ? String.fromCharCode(this.int(0x20, 0x7e))
        : this.pick(['é', '漢', '\u0000', '\u{1F600}', '\uFFFF', '\\', '"'])
    }
    return out
  }
}
