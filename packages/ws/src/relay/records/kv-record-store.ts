import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import { type KV, type KvEntry, Kvm } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { ErrorCode, type JsonPatchOperation } from '@spider-mesh/core'
import { jetStreamName, kvToken } from '../cluster/jetstream-names.js'
import type { HostedCluster } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import { patchedValue } from './patched-value.js'
import { RecordError, versionConflict } from './record-error.js'
import { ABSENT, type RecordFollow, type RecordState, type RecordStore } from './record-store.js'

/**
 * Attempts of a write without `expectedVersion` (or a patch) that lost a revision race to another
 * relay: each re-reads the record and tries again, so only sustained contention on one record
 * fails (OVERLOADED), never a silent overwrite.
 */
const MAX_ATTEMPTS = 50
/**
 * How long a call waits for NATS when this relay is not connected to it (just started, or
 * reconnecting) before failing with CLUSTER_UNAVAILABLE: a relay accepts nodes before it has
 * joined NATS, and their first calls should not fail for that.
 */
export const NATS_WAIT_MS = 3000
const NATS_POLL_MS = 25

/** The records bucket of a cluster. */
export function bucketName(prefix: string): string {
  return jetStreamName(prefix, '-records')
}

/** A record id as its KV key (one token: no dots, no wildcards). */
export const keyOf = kvToken

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The stored document carries our own per-record version (KV revisions count the whole bucket). */
function encodeState(state: RecordState): Uint8Array {
  return encoder.encode(JSON.stringify({ v: state.version, d: state.value }))
}

function stateOf(entry: KvEntry | null): RecordState {
  if (entry?.operation !== 'PUT') return ABSENT
  const { v, d } = JSON.parse(decoder.decode(entry.value)) as { v: number; d: unknown }
  return { version: v, value: d }
}

/**
 * What a caller gets when NATS fails an operation (a timeout, a lost connection): a code clients
 * treat as "the relay cannot reach its store now" — a watch re-subscribes on it.
 */
function natsFailure(err: unknown, what: string): RecordError {
  if (err instanceof RecordError) return err
  return new RecordError(
    ErrorCode.CLUSTER_UNAVAILABLE,
    `NATS KV could not ${what}: ${(err as Error)?.message ?? String(err)}; retry`,
  )
}

function isRevisionRace(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  )
}

/**
 * Records in a NATS KV bucket shared by every relay of the cluster: they survive relay restarts.
 * A write is a compare-and-set on the KV revision it read (`create` when absent, `update`
 * otherwise), so two relays never overwrite each other; a watch is one KV watch per record on
 * this relay, shared by its watchers.
 */
export class KvRecordStore implements RecordStore {
  readonly #cluster: HostedCluster
  readonly #logger: RelayLogger
  #bucket: { nc: NatsConnection; kv: Promise<KV> } | undefined
  readonly #stops = new Set<() => void>()

  constructor(cluster: HostedCluster, logger: RelayLogger) {
    this.#cluster = cluster
    this.#logger = logger
  }

  async get(id: string): Promise<RecordState> {
    const kv = await this.#kv()
    try {
      return stateOf(await kv.get(keyOf(id)))
    } catch (err) {
      throw natsFailure(err, `read record "${id}"`)
    }
  }

  async write(id: string, value: unknown, expectedVersion?: number): Promise<number> {
    return this.#change(id, (current) => {
      if (expectedVersion !== undefined && expectedVersion !== current.version)
        throw versionConflict(id, expectedVersion, current.version)
      return value
    })
  }

  async patch(id: string, ops: JsonPatchOperation[], expectedVersion?: number): Promise<number> {
    return this.#change(id, (current) => patchedValue(id, current, ops, expectedVersion))
  }

  follow(id: string, onState: (state: RecordState) => void, onError: (err: Error) => void): RecordFollow {
    let stopped = false
    let stopWatch: (() => void) | undefined
    const stop = () => {
      stopped = true
      stopWatch?.()
      this.#stops.delete(stop)
    }
    this.#stops.add(stop)
    const ready = (async () => {
      const kv = await this.#kv()
      // Updates only, started before the read: whatever changes after the read arrives here, and
      // whatever the read already shows is dropped by version (the feed keeps the highest).
      const watch = await kv.watch({ key: keyOf(id), include: 'updates' })
      stopWatch = () => watch.stop()
      if (stopped) watch.stop()
      void (async () => {
        let reason = 'it ended'
        try {
          for await (const entry of watch) if (entry.operation === 'PUT') onState(stateOf(entry))
        } catch (err) {
          reason = (err as Error).message
        }
        // A watch that stops by itself would leave watchers on a value that no longer changes:
        // they are failed with a code their clients re-subscribe on (and get the value afresh).
        if (!stopped)
          onError(
            new RecordError(
              ErrorCode.CLUSTER_UNAVAILABLE,
              `this relay's NATS KV watch of the record stopped (${reason}); watch again`,
            ),
          )
      })()
      return stateOf(await kv.get(keyOf(id)))
    })().catch((err) => {
      throw natsFailure(err, `watch record "${id}"`)
    })
    return { ready, stop }
  }

  async close(): Promise<void> {
    for (const stop of [...this.#stops]) stop()
  }

  /** Reads, computes the next value, and stores it only if nobody stored one in between. */
  async #change(id: string, next: (current: RecordState) => unknown): Promise<number> {
    const kv = await this.#kv()
    const key = keyOf(id)
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await kv.get(key).catch((err) => {
        throw natsFailure(err, `read record "${id}"`)
      })
      const current = stateOf(entry)
      const state = { version: current.version + 1, value: next(current) }
      const data = encodeState(state)
      this.#assertFits(id, data)
      try {
        if (entry) await kv.update(key, data, entry.revision)
        else await kv.create(key, data)
        return state.version
      } catch (err) {
        if (!isRevisionRace(err)) throw natsFailure(err, `write record "${id}"`)
      }
    }
    throw new RecordError(
      ErrorCode.OVERLOADED,
      `Record "${id}" changed under ${MAX_ATTEMPTS} attempts in a row to write it: too many concurrent writers; retry later`,
    )
  }

  /** A value past NATS's `max_payload` cannot be stored: say so, rather than NATS's own error. */
  #assertFits(id: string, data: Uint8Array): void {
    const max = this.#bucket?.nc.info?.max_payload
    if (max !== undefined && data.byteLength > max)
      throw new RecordError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `Record "${id}" would be ${data.byteLength} bytes in NATS KV, over the nats-server's max_payload of ${max}: write a smaller value, or raise max_payload`,
      )
  }

  /** The bucket, created (idempotently) at first use on the current NATS connection. */
  async #kv(): Promise<KV> {
    for (let waited = 0; !this.#cluster.connected && waited < NATS_WAIT_MS; waited += NATS_POLL_MS)
      await new Promise((resolve) => setTimeout(resolve, NATS_POLL_MS))
    if (!this.#cluster.connected)
      throw new RecordError(
        ErrorCode.CLUSTER_UNAVAILABLE,
        `This relay has not reached NATS, where the cluster keeps its records, for ${NATS_WAIT_MS} ms; retry when it reconnects`,
      )
    const nc = await this.#cluster.connection()
    if (this.#bucket?.nc !== nc) {
      const name = bucketName(this.#cluster.prefix)
      const kv = new Kvm(nc).create(name, { history: 1 }).catch((err: Error) => {
        this.#bucket = undefined
        this.#logger.warn(`[relay] $records: cannot open the NATS KV bucket ${name}: ${err.message}`)
        throw new RecordError(
          ErrorCode.STORE_UNAVAILABLE,
          `The cluster's record store (NATS KV bucket ${name}) is unavailable: ${err.message}. Is nats-server running with JetStream (-js)?`,
        )
      })
      this.#bucket = { nc, kv }
    }
    return this.#bucket.kv
  }
}
