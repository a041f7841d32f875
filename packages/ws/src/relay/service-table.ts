import { canServe } from '@spider-mesh/core'
import type { CallEndpoint } from './call-endpoint.js'
import { catalogSignature, describeProviders } from './provider-signature.js'

/** The providers of one service and whose turn is next. */
interface Rotation {
  providers: CallEndpoint[]
  cursor: number
  /**
   * Whether the providers announced different methods or versions of the service (a rolling
   * deploy, or two builds of the class). Only then does a pick look at the method.
   */
  mixed: boolean
}

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
    if (!rotation) this.#rotations.set(service, { providers: [peer], cursor: 0, mixed: false })
    else if (!rotation.providers.includes(peer)) {
      rotation.providers.push(peer)
      this.#checkMixed(service, rotation)
    }
  }

  remove(service: string, peer: CallEndpoint): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) return
    const index = rotation.providers.indexOf(peer)
    if (index === -1) return
    rotation.providers.splice(index, 1)
    if (rotation.providers.length === 0) this.#rotations.delete(service)
    else {
      // Keep the turn with the provider that was next, so a leave does not skip anyone.
      if (index < rotation.cursor) rotation.cursor--
      this.#checkMixed(service, rotation)
    }
  }

  /**
   * The next provider of `service` in turn that can take a call of `method` (within the semver
   * range `version`), or undefined when none can. With `preferLocal`, providers on this relay
   * take every turn while there is one that fits. (Method and range are plain arguments, not an
   * object: this runs for every call.)
   */
  next(service: string, preferLocal = false, method?: string, version?: string): CallEndpoint | undefined {
    const rotation = this.#rotations.get(service)
    if (!rotation) return undefined
    const { providers } = rotation
    if (method !== undefined && (rotation.mixed || version !== undefined)) {
      const fits = (end: CallEndpoint) => canServe(end.catalog, service, method, version)
      return (preferLocal && lap(rotation, (end) => !end.remote && fits(end))) || lap(rotation, fits)
    }
    if (preferLocal) {
      const local = lap(rotation, (end) => !end.remote)
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
        `[relay] The providers of "${service}" differ: ${describeProviders(rotation.providers, service)}. ` +
          'Calls go only to providers that have the method (and the version) asked for.',
      )
    }
    rotation.mixed = mixed
  }
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
