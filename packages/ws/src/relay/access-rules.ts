/**
 * Who may do what on a relay. Each list holds exact names or `*` patterns (`*` matches any run of
 * characters, dots included). A missing list allows nothing.
 *
 * - `provide`: service names the node may serve.
 * - `call`: `Service.method` patterns; a pattern without a dot names a whole service
 *   (`'Billing'` = `'Billing.*'`).
 * - `publish`, `subscribe`: topic names.
 * - `presence`: topics whose presence list (listeners, their meta and state) the node may see
 *   and set its state on; absent, the `subscribe` list decides.
 * - `read`, `write`: record ids the node may get and watch, and write and patch.
 */
export interface AccessRules {
  provide?: string[]
  call?: string[]
  publish?: string[]
  subscribe?: string[]
  presence?: string[]
  read?: string[]
  write?: string[]
}

/** Decides the rules of one connection from its principal (what `authenticate` returned). */
export type AccessPolicy = (principal: unknown, connection: { isServer: boolean }) => AccessRules

/** A compiled list: answers with a cached verdict, so the hot path is one map lookup per name. */
export class NameMatcher {
  readonly #exact: Set<string>
  readonly #patterns: RegExp[]
  readonly #all: boolean
  readonly #cache = new Map<string, boolean>()

  constructor(patterns: readonly string[] | undefined, expand: (pattern: string) => string = (p) => p) {
    const list = (patterns ?? []).map(expand)
    this.#all = list.includes('*')
    this.#exact = new Set(list.filter((p) => !p.includes('*')))
    this.#patterns = list.filter((p) => p.includes('*') && p !== '*').map(globToRegExp)
  }

  allows(name: string): boolean {
    if (this.#all || this.#exact.has(name)) return true
    if (this.#patterns.length === 0) return false
    const cached = this.#cache.get(name)
    if (cached !== undefined) return cached
    const verdict = this.#patterns.some((re) => re.test(name))
    // Names come from callers; never let the cache grow without bound.
    if (this.#cache.size < 1000) this.#cache.set(name, verdict)
    return verdict
  }
}

/** The compiled rules of one connection. */
export class ConnectionAccess {
  readonly provide: NameMatcher
  readonly call: NameMatcher
  readonly publish: NameMatcher
  readonly subscribe: NameMatcher
  readonly presence: NameMatcher
  readonly read: NameMatcher
  readonly write: NameMatcher

  constructor(rules: AccessRules) {
    this.provide = new NameMatcher(rules.provide)
    this.call = new NameMatcher(rules.call, (p) => (p.includes('.') || p === '*' ? p : `${p}.*`))
    this.publish = new NameMatcher(rules.publish)
    this.subscribe = new NameMatcher(rules.subscribe)
    this.presence = rules.presence === undefined ? this.subscribe : new NameMatcher(rules.presence)
    this.read = new NameMatcher(rules.read)
    this.write = new NameMatcher(rules.write)
  }

  canCall(service: string, method: string): boolean {
    return this.call.allows(`${service}.${method}`)
  }
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
  return new RegExp(`^${escaped}$`, 's')
}
