import { ErrorCode } from '@spider-mesh/core'
import type { CallRouter } from '../call-router.js'
import type { RelayPeer } from '../relay-peer.js'
import { HostedEndpoint } from './hosted-endpoint.js'
import type { HostedService } from './hosted-service.js'

/** Service names starting with `$` are the relay's own: no node may provide them. */
export function isHostedName(service: string): boolean {
  return service.charCodeAt(0) === 36 /* $ */
}

/**
 * The relay's hosted services, by name, with the events of the relay they follow (topic joins
 * and leaves, publications, connections closing) passed to those that want them.
 */
export class HostedServices {
  readonly #endpoints = new Map<string, HostedEndpoint>()
  readonly #services: HostedService[] = []
  /** The services that follow publications: the publish path visits only these (today: history). */
  readonly #publishers: HostedService[] = []
  readonly #calls: () => CallRouter
  /** Per node: how many ways (subscription, history listens) it listens to each topic. */
  readonly #listening = new Map<RelayPeer, Map<string, number>>()

  constructor(calls: () => CallRouter) {
    this.#calls = calls
  }

  add(service: HostedService): void {
    this.#services.push(service)
    if (service.published) this.#publishers.push(service)
    this.#endpoints.set(service.name, new HostedEndpoint(service, this.#calls))
  }

  /** The endpoint of a hosted service, or the refusal a caller gets for an unknown `$` name. */
  endpoint(service: string): HostedEndpoint | { code: string; message: string } {
    return (
      this.#endpoints.get(service) ?? {
        code: ErrorCode.MICROSERVICE_NOT_FOUND,
        message: `This relay hosts no service "${service}" (names starting with $ are the relay's own: ${[...this.#endpoints.keys()].join(', ') || 'none'})`,
      }
    )
  }

  /**
   * A node started (`joined`) or stopped listening to a topic, by a Subscribe frame or a history
   * listen. Counted per node and topic, so the services hear of the first start and the last stop
   * only: a node with a plain listener and a history listener of one topic is one listener.
   */
  listening(peer: RelayPeer, topic: string, joined: boolean): void {
    let topics = this.#listening.get(peer)
    if (!topics) {
      if (!joined || peer.closed) return
      topics = new Map()
      this.#listening.set(peer, topics)
    }
    const count = (topics.get(topic) ?? 0) + (joined ? 1 : -1)
    if (count > 0) topics.set(topic, count)
    else topics.delete(topic)
    if (topics.size === 0) this.#listening.delete(peer)
    if (joined && count === 1) for (const service of this.#services) service.topicJoined?.(peer, topic)
    else if (!joined && count === 0) for (const service of this.#services) service.topicLeft?.(peer, topic)
  }

  published(peer: RelayPeer, topic: string, payload: Uint8Array): void {
    for (const service of this.#publishers) service.published!(peer, topic, payload)
  }

  peerClosed(peer: RelayPeer): void {
    // Its topics were left just before (unsubscribed, hosted calls ended); nothing may linger.
    this.#listening.delete(peer)
    for (const service of this.#services) service.peerClosed?.(peer)
  }

  /** Ends every hosted call (without answers: every connection is closing) and stops the services. */
  async close(): Promise<void> {
    for (const endpoint of this.#endpoints.values()) endpoint.clear()
    await Promise.all(this.#services.map((s) => s.close?.()))
  }
}
