import type { CallEndpoint } from './call-endpoint.js'

/** The providers of one service and whose turn is next. */
interface Rotation {
  providers: CallEndpoint[]
  cursor: number
}

/**
 * Round-robin routing table: service name → providers. Picking a provider is O(1) per request;
 * only joins, leaves and service changes pay for array edits.
 */
export class ServiceTable {
  readonly #rotations = new Map<string, Rotation>()

  /** Number of services with at least one provider. */
  get size(): number {
    return this.#rotations.size
  }

  add(service: string, peer: CallEndpoint): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) this.#rotations.set(service, { providers: [peer], cursor: 0 })
    else if (!rotation.providers.includes(peer)) rotation.providers.push(peer)
  }

  remove(service: string, peer: CallEndpoint): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) return
    const index = rotation.providers.indexOf(peer)
    if (index === -1) return
    rotation.providers.splice(index, 1)
    if (rotation.providers.length === 0) this.#rotations.delete(service)
    // Keep the turn with the provider that was next, so a leave does not skip anyone.
    else if (index < rotation.cursor) rotation.cursor--
  }

  /**
   * The next provider of `service` in turn, or undefined when nobody provides it. With
   * `preferLocal`, providers on this relay take every turn while there is one.
   */
  next(service: string, preferLocal = false): CallEndpoint | undefined {
    const rotation = this.#rotations.get(service)
    if (!rotation) return undefined
    const { providers } = rotation
    if (preferLocal) {
      // Bounded by the number of providers: one lap at most.
      for (let i = 0; i < providers.length; i++) {
        if (rotation.cursor >= providers.length) rotation.cursor = 0
        const candidate = providers[rotation.cursor++]!
        if (!candidate.remote) return candidate
      }
    }
    if (rotation.cursor >= providers.length) rotation.cursor = 0
    return providers[rotation.cursor++]
  }

  /** Providers of `service`, in rotation order (for /directory). */
  providers(service: string): readonly CallEndpoint[] {
    return this.#rotations.get(service)?.providers ?? []
  }

  /** Services with at least one provider. */
  services(): IterableIterator<string> {
    return this.#rotations.keys()
  }

  /** Forgets every provider. */
  clear(): void {
    this.#rotations.clear()
  }
}
