import {
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type OrderedConsumerOptions,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream'
import { headers } from '@nats-io/transport-node'
import { ErrorCode, MeshError } from '@spider-mesh/core'
import { jetStreamName } from '../cluster/jetstream-names.js'
import { subjectToken } from '../cluster/subjects.js'
import type { HostedCall, HostedCluster } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import type { HistoryResume, HistoryStore } from './history-store.js'
import type { ResolvedTopicPolicy } from './topic-policies.js'

const TWO_MINUTES_NS = 120_000_000_000

/** A policy's stream, once created or found. `epoch` changes only if the stream is made anew. */
interface ReadyStream {
  name: string
  epoch: string
}

/** A publication waiting for its policy's stream to exist (JetStream refuses it before). */
interface Waiting {
  subject: string
  payload: Uint8Array
  source: string
}

/** A policy's stream, or the publications waiting while it is created. */
interface PolicyState {
  stream: ReadyStream | undefined
  waiting: Waiting[]
}

/** Publications kept while a policy's stream is being created; more are not stored (and logged). */
const MAX_WAITING = 10_000

/**
 * The history of a cluster: one JetStream stream per policy, one subject per topic, with
 * `max_msgs_per_subject` = retain and `max_age` = ttlMs, so every relay reads what any relay
 * stored. A listener reads its topic's subject with an ordered consumer — retained messages then
 * live ones, in stream order — so the switch has no gap and no duplicate by construction; the
 * stream sequence is the message's `seq`, and the stream's creation time is part of the epoch.
 */
export class JetStreamHistory implements HistoryStore {
  readonly #cluster: HostedCluster
  readonly #logger: RelayLogger
  #api: Promise<{ js: JetStreamClient; jsm: JetStreamManager }> | undefined
  readonly #streams = new Map<string, Promise<ReadyStream>>()
  readonly #policies = new Map<string, PolicyState>()
  readonly #consumers = new Set<ConsumerMessages>()
  #lastWarning = 0
  #closed = false

  constructor(cluster: HostedCluster, logger: RelayLogger) {
    this.#cluster = cluster
    this.#logger = logger
  }

  published(policy: ResolvedTopicPolicy, topic: string, payload: Uint8Array, source: string): void {
    if (this.#closed) return
    if (!this.#cluster.connected) {
      this.#warn(`[relay] a message on "${topic}" was not kept in the topic history: NATS is unreachable`)
      return
    }
    const subject = this.#subject(policy, topic)
    const state = this.#policies.get(policy.key)
    if (state?.stream) {
      this.#publish(subject, payload, source)
      return
    }
    if (state) {
      if (state.waiting.length < MAX_WAITING) state.waiting.push({ subject, payload, source })
      else
        this.#warn(`[relay] a message on "${topic}" was not kept: its history stream is still being created`)
      return
    }
    // First publication of this policy: keep order by queueing until the stream exists.
    const created: PolicyState = { stream: undefined, waiting: [{ subject, payload, source }] }
    this.#policies.set(policy.key, created)
    this.#stream(policy).then(
      (stream) => {
        created.stream = stream
        for (const w of created.waiting.splice(0)) this.#publish(w.subject, w.payload, w.source)
      },
      (err) => {
        this.#policies.delete(policy.key)
        this.#warn(`[relay] topic history of "${policy.pattern}" is unavailable: ${(err as Error).message}`)
      },
    )
  }

  listen(
    call: HostedCall,
    policy: ResolvedTopicPolicy,
    topic: string,
    n: number,
    resume: HistoryResume | undefined,
  ): void {
    this.#listen(call, policy, topic, n, resume).catch((err) => {
      if (err instanceof MeshError) call.fail(err.code, err.message)
      else
        call.fail(ErrorCode.STORE_UNAVAILABLE, `Reading the topic history failed: ${(err as Error).message}`)
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const messages of this.#consumers) messages.stop()
    this.#consumers.clear()
  }

  async #listen(
    call: HostedCall,
    policy: ResolvedTopicPolicy,
    topic: string,
    n: number,
    resume: HistoryResume | undefined,
  ): Promise<void> {
    const { js } = await this.#jetstream()
    const stream = await this.#stream(policy)
    if (call.ended || this.#closed) return
    const subject = this.#subject(policy, topic)
    const sameEpoch = resume !== undefined && resume.epoch === stream.epoch
    const options: Partial<OrderedConsumerOptions> = sameEpoch
      ? {
          filter_subjects: subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: resume.seq + 1,
        }
      : {
          filter_subjects: subject,
          deliver_policy: n === 0 && !resume ? DeliverPolicy.New : DeliverPolicy.All,
        }
    const consumer = await js.consumers.get(stream.name, options)
    const messages = await consumer.consume({ max_messages: 1024 })
    this.#consumers.add(messages)
    call.whenEnded(() => messages.stop())
    if (call.ended) messages.stop()
    call.next([stream.epoch])
    // Without a resume, only the last n of what is retained: `pending` at the first message says
    // how many follow it, so the rest (older) are skipped. Later ones are live: all sent.
    let skip: number | undefined = resume || n === 0 ? 0 : undefined
    try {
      for await (const m of messages) {
        if (skip === undefined) skip = Math.max(0, m.info.pending + 1 - n)
        if (skip > 0) {
          skip--
          continue
        }
        call.next([m.seq, m.data])
        if (call.ended) break
      }
    } finally {
      this.#consumers.delete(messages)
      messages.stop()
    }
  }

  #publish(subject: string, payload: Uint8Array, source: string): void {
    const h = headers()
    h.set('Mesh-Source', source)
    this.#jetstream()
      .then(({ js }) => js.publish(subject, payload, { headers: h }))
      .catch((err) =>
        // Plain pub/sub already delivered the message; only its history entry is lost.
        this.#warn(`[relay] a message was not kept in the topic history: ${(err as Error).message}`),
      )
  }

  #subject(policy: ResolvedTopicPolicy, topic: string): string {
    return `${this.#cluster.prefix}.hist.${policy.key}.${subjectToken(topic)}`
  }

  /** JetStream, or a typed error saying nats-server must run with JetStream (`-js`). */
  #jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    this.#api ??= this.#cluster
      .connection()
      .then(async (nc) => ({ js: jetstream(nc), jsm: await jetstreamManager(nc) }))
    return this.#api.catch((err) => {
      // Not kept: nats-server may be restarted with -js.
      this.#api = undefined
      throw new MeshError(
        ErrorCode.STORE_UNAVAILABLE,
        `Topic history in a cluster needs NATS JetStream, which the cluster's NATS does not offer: start nats-server with -js (${(err as Error).message})`,
      )
    })
  }

  /** The policy's stream, created or brought to the policy's limits once (idempotent). */
  #stream(policy: ResolvedTopicPolicy): Promise<ReadyStream> {
    let ready = this.#streams.get(policy.key)
    if (!ready) {
      ready = this.#ensureStream(policy)
      this.#streams.set(policy.key, ready)
      ready.catch(() => this.#streams.delete(policy.key))
    }
    return ready
  }

  async #ensureStream(policy: ResolvedTopicPolicy): Promise<ReadyStream> {
    const { jsm } = await this.#jetstream()
    const prefix = this.#cluster.prefix
    const name = jetStreamName(prefix, `_history_${policy.key}`)
    const maxAge = (policy.ttlMs ?? 0) * 1_000_000
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: [`${prefix}.hist.${policy.key}.>`],
      max_msgs_per_subject: policy.retain,
      max_age: maxAge,
      // JetStream refuses a duplicate window longer than max_age (its default is 2 min).
      duplicate_window: maxAge > 0 ? Math.min(maxAge, TWO_MINUTES_NS) : TWO_MINUTES_NS,
      discard: DiscardPolicy.Old,
      storage: StorageType.File,
      num_replicas: 1,
    }
    let info: { created: string; config: Partial<StreamConfig> }
    try {
      info = await jsm.streams.info(name)
      if (
        info.config.max_msgs_per_subject !== config.max_msgs_per_subject ||
        info.config.max_age !== config.max_age
      ) {
        info = await jsm.streams.update(name, {
          max_msgs_per_subject: config.max_msgs_per_subject,
          max_age: config.max_age,
          duplicate_window: config.duplicate_window,
        })
      }
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err
      try {
        info = await jsm.streams.add(config)
      } catch (addErr) {
        // Another relay created it first.
        if (!/already in use/i.test((addErr as Error).message)) throw addErr
        info = await jsm.streams.info(name)
      }
    }
    return { name, epoch: `${name}@${info.created}` }
  }

  /** At most one warning per 10 s: a NATS outage must not flood the log once per message. */
  #warn(message: string): void {
    const now = Date.now()
    if (now - this.#lastWarning < 10_000) return
    this.#lastWarning = now
    this.#logger.warn(message)
  }
}
