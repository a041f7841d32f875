import { ErrorCode } from '@spider-mesh/core'
import type { HostedCall, HostedContext, HostedService } from '../hosted/hosted-service.js'
import { RelayPeer } from '../relay-peer.js'
import type { HistoryResume, HistoryStore } from './history-store.js'
import { JetStreamHistory } from './jetstream-history.js'
import { MemoryHistory } from './memory-history.js'
import { policyOf, type ResolvedTopicPolicy } from './topic-policies.js'

/**
 * `$history`: the relay keeps the last messages of the topics its `topics` option names, and
 * `listen(topic, n, resume?)` streams up to n of them, then the live ones. In memory on a single
 * relay; in a cluster, a JetStream stream per policy shared by every relay.
 */
export class HistoryService implements HostedService {
  readonly name = '$history'
  readonly #context: HostedContext
  readonly #policies: readonly ResolvedTopicPolicy[]
  #store: HistoryStore | undefined

  constructor(context: HostedContext, policies: readonly ResolvedTopicPolicy[]) {
    this.#context = context
    this.#policies = policies
  }

  serve(call: HostedCall): void {
    if (call.method !== 'listen') {
      call.fail(ErrorCode.MICROSERVICE_NOT_FOUND, `$history has no method "${call.method}" (it has: listen)`)
      return
    }
    const [topic, n, resume] = call.args
    if (typeof topic !== 'string' || topic === '') {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        `$history.listen needs a topic name, got ${JSON.stringify(topic)}`,
      )
      return
    }
    if (!Number.isInteger(n) || (n as number) < 0) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        `$history.listen needs a non-negative integer count, got ${JSON.stringify(n)}`,
      )
      return
    }
    if (resume != null && !isResume(resume)) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        '$history.listen: resume must be { epoch: string, seq: integer }',
      )
      return
    }
    const access = call.caller.access
    if (access && !access.subscribe.allows(topic)) {
      call.fail(
        ErrorCode.ACCESS_DENIED,
        `Not allowed to subscribe to topic "${topic}", so not to its history`,
      )
      return
    }
    const policy = policyOf(this.#policies, topic)
    if (!policy) {
      call.fail(
        ErrorCode.TOPIC_NOT_RETAINED,
        `Topic "${topic}" keeps no history on this relay: add a pattern matching it to the relay's \`topics\` option (e.g. topics: { ${JSON.stringify(topic)}: { retain: 50 } })`,
      )
      return
    }
    // A history listener is a listener of the topic, for presence as for a subscriber.
    const peer = call.caller
    if (peer instanceof RelayPeer) {
      this.#context.listening(peer, topic, true)
      call.whenEnded(() => this.#context.listening(peer, topic, false))
    }
    this.#storeNow().listen(call, policy, topic, Math.min(n as number, policy.retain), resume ?? undefined)
  }

  published(peer: RelayPeer, topic: string, payload: Uint8Array): void {
    if (this.#policies.length === 0) return
    const policy = policyOf(this.#policies, topic)
    if (policy) this.#storeNow().published(policy, topic, payload, peer.nodeId ?? '')
  }

  close(): void | Promise<void> {
    return this.#store?.close()
  }

  /** Chosen at first use: the cluster is attached after the relay's services are added. */
  #storeNow(): HistoryStore {
    const cluster = this.#context.cluster
    this.#store ??= cluster ? new JetStreamHistory(cluster, this.#context.logger) : new MemoryHistory()
    return this.#store
  }
}

function isResume(value: unknown): value is HistoryResume {
  const resume = value as Partial<HistoryResume>
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof resume.epoch === 'string' &&
    Number.isInteger(resume.seq) &&
    (resume.seq as number) >= 0
  )
}
