import { canServe, HashRing, type RequestOptions } from '@spider-mesh/core'
import type { CallEndpoint } from './call-endpoint.js'
import { catalogSignature, describeEndpoints } from './provider-signature.js'

/** The providers of one service and whose turn is next. */
interface Rotation {
  providers: CallEndpoint[]
  cursor: number
  /**
   * Whether the providers announced different methods or versions of the service (a rolling
   * deploy, or two builds of the class). Only then does a pick look at the method.
   */
  mixed: boolean
  /** The consistent-hashing ring of `balance: { hash }` calls, built on first use after a change. */
  ring: HashRing<CallEndpoint> | undefined
}

const nameOf = (end: CallEndpoint) => end.nodeId ?? end.label

/**
 * Round-robin routing table: service name → providers. Picking a provider is O(1) per request
 * while the providers of a service agree on its methods; only joins, leaves and service changes
 * pay for array edits.
 */
export class ServiceTable {
  readonly #rotations = new Map<string, Rotation>()
  readonly #warn: (message: string) => void

  /** `warn` hears when the providers of a service start to differ. */
  constructor(warn: (message: string) => void = () => {}) {
    this.#warn = warn
  }

  /** Number of services with at least one provider. */
  get size(): number {
    return this.#rotations.size
  }

  add(service: string, peer: CallEndpoint): void {
    const rotation = this.#rotations.get(service)
    if (!rotation)
      this.#rotations.set(service, { providers: [peer], cursor: 0, mixed: false, ring: undefined })
    else if (!rotation.providers.includes(peer)) {
      rotation.providers.push(peer)
      rotation.ring = undefined
      this.#checkMixed(service, rotation)
    }
  }

  remove(service: string, peer: CallEndpoint): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) return
    const index = rotation.providers.indexOf(peer)
    if (index === -1) return
    rotation.providers.splice(index, 1)
    rotation.ring = undefined
    if (rotation.providers.length === 0) this.#rotations.delete(service)
    else {
      // Keep the turn with the provider that was next, so a leave does not skip anyone.
      if (index < rotation.cursor) rotation.cursor--
      this.#checkMixed(service, rotation)
    }
  }

  /**
   * The provider of `service` for a call of `method`, or undefined when none can take it: the
   * next in turn that has the method (and a version in `options.version`); with
   * `options.key`, the owner of the key on the consistent-hashing ring; with
   * `options.balance: 'least-in-flight'`, the one with the fewest calls in flight through this
   * relay. With `preferLocal`, providers on this relay win while one fits.
   */
  next(
    service: string,
    preferLocal = false,
    method?: string,
    options?: RequestOptions,
  ): CallEndpoint | undefined {
    const rotation = this.#rotations.get(service)
    if (!rotation) return undefined
    const { providers } = rotation
    // The common call (no options, providers that agree) skips all of this: one lookup, one turn.
    if (method !== undefined && (options !== undefined || rotation.mixed)) {
      const version = options?.version
      const check = rotation.mixed || version !== undefined
      const fits = check ? (end: CallEndpoint) => canServe(end.catalog, service, method, version) : always
      const local = (end: CallEndpoint) => !end.remote && fits(end)
      if (options?.key !== undefined) {
        rotation.ring ??= new HashRing(providers, nameOf)
        const ring = rotation.ring
        return (preferLocal && ring.pick(options.key, local)) || ring.pick(options.key, fits)
      }
      if (options?.balance === 'least-in-flight') {
        return (preferLocal && leastInFlight(rotation, local)) || leastInFlight(rotation, fits)
      }
      if (check) return (preferLocal && lap(rotation, local)) || lap(rotation, fits)
    }
    if (preferLocal) {
      const local = lap(rotation, isLocal)
      if (local) return local
    }
    if (rotation.cursor >= providers.length) rotation.cursor = 0
    return providers[rotation.cursor++]
  }

  /** Providers of `service`, in rotation order (for /directory). */
  providers(service: string): readonly CallEndpoint[] {
    return this.#rotations.get(service)?.providers ?? []
  }

  /** Whether the providers of `service` announced different methods or versions. */
  mixed(service: string): boolean {
    return this.#rotations.get(service)?.mixed ?? false
  }

  /** Services with at least one provider. */
  services(): IterableIterator<string> {
    return this.#rotations.keys()
  }

  /** Forgets every provider. */
  clear(): void {
    this.#rotations.clear()
  }

  /** Recomputes `mixed`; says so once when the providers start to differ. */
  #checkMixed(service: string, rotation: Rotation): void {
    const first = catalogSignature(rotation.providers[0]!, service)
    const mixed = rotation.providers.some((end) => catalogSignature(end, service) !== first)
    if (mixed && !rotation.mixed) {
      this.#warn(
        `[relay] The providers of "${service}" differ: ${describeEndpoints(rotation.providers, service)}. ` +
          'Calls go only to providers that have the method (and the version) asked for.',
      )
    }
    rotation.mixed = mixed
  }
}

const always = () => true
const isLocal = (end: CallEndpoint) => !end.remote

/**
 * The accepted provider with the fewest calls in flight through this relay (its `incoming`);
 * ties go to the next in turn, so equally idle providers still alternate.
 */
function leastInFlight(rotation: Rotation, accept: (end: CallEndpoint) => boolean): CallEndpoint | undefined {
  const { providers } = rotation
  let best: CallEndpoint | undefined
  let bestIndex = 0
  for (let i = 0; i < providers.length; i++) {
    const index = (rotation.cursor + i) % providers.length
    const candidate = providers[index]!
    if (!accept(candidate)) continue
    if (best === undefined || candidate.incoming.size < best.incoming.size) {
      best = candidate
      bestIndex = index
    }
  }
  if (best !== undefined) rotation.cursor = bestIndex + 1
  return best
}

/** The first provider in turn, within one lap, that `accept`s; advances the turn past it. */
function lap(rotation: Rotation, accept: (end: CallEndpoint) => boolean): CallEndpoint | undefined {
  const { providers } = rotation
  for (let i = 0; i < providers.length; i++) {
    if (rotation.cursor >= providers.length) rotation.cursor = 0
    const candidate = providers[rotation.cursor++]!
    if (accept(candidate)) return candidate
  }
  return undefined
}
