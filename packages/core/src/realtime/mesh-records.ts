import { defer, filter, map, type Observable, retry, throwError, timer } from 'rxjs'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { applyRecordPatch, type JsonPatchOperation } from './record-patch.js'
import { relayCall, retryWhileReconnecting } from './relay-call.js'

/** The relay's versioned records service. */
const SERVICE = '$records'

/** A record's value and version (`version` counts writes from 1). */
export interface RecordValue<T = unknown> {
  readonly version: number
  readonly value: T
}

/**
 * One value of `watch`: the first is always a full `{ version, value }` (version 0 and value null
 * when the record does not exist yet). In patch mode an update also carries the RFC 6902 `patch`
 * the relay sent; `value` is the watcher's copy with it applied.
 */
export interface RecordUpdate<T = unknown> extends RecordValue<T | null> {
  readonly patch?: JsonPatchOperation[]
}

/** Options of `write` and `patch`. */
export interface RecordWriteOptions {
  /** Compare-and-set: write only if the record is at this version (0: must not exist yet), else VERSION_CONFLICT. */
  expectedVersion?: number
}

/** Options of `watch`. */
export interface RecordWatchOptions {
  /** `full`: every update carries the value; `patch`: the RFC 6902 operations from the previous one. */
  mode?: 'full' | 'patch'
}

/** What the relay sends on a watch: a full value, or a patch to the previous version. */
type WireUpdate = { version: number; value: unknown } | { version: number; patch: JsonPatchOperation[] }

/** Resyncs in a row before a watch gives up (a relay that keeps sending patches that do not apply). */
const MAX_RESYNCS = 10
/** Thrown inside a watch whose copy cannot follow a patch: the watch is made again (full value first). */
const RESYNC = new MeshError(
  ErrorCode.PROTOCOL_ERROR,
  `A record watch could not follow the relay's patches ${MAX_RESYNCS} times in a row`,
)

/**
 * Versioned JSON records kept by the relay (in memory, or NATS KV in a cluster): `mesh.records`.
 *
 * @example
 * ```ts
 * import { SpiderMesh } from '@spider-mesh/core'
 * const mesh = new SpiderMesh()
 * const { version } = await mesh.records.write('doc:1', { title: 'Draft' }, { expectedVersion: 0 })
 * await mesh.records.patch('doc:1', [{ op: 'replace', path: '/title', value: 'Final' }])
 * mesh.records.watch('doc:1', { mode: 'patch' }).subscribe(({ version, value }) => render(value))
 * ```
 */
export class MeshRecords {
  readonly #mesh: SpiderMesh

  constructor(mesh: SpiderMesh) {
    this.#mesh = mesh
  }

  /** The record's value and version, or null when it does not exist. */
  get<T = unknown>(id: string): Promise<RecordValue<T> | null> {
    return relayCall<RecordValue<T> | null>(this.#mesh, SERVICE, 'get', [id]).then((r) => r)
  }

  /**
   * Writes the whole value: last writer wins, or compare-and-set with `expectedVersion` (a
   * concurrent writer gets VERSION_CONFLICT with `err.data.version`, the current version).
   */
  write(id: string, value: unknown, options: RecordWriteOptions = {}): Promise<{ version: number }> {
    return relayCall<{ version: number }>(this.#mesh, SERVICE, 'write', [
      id,
      value,
      options.expectedVersion ?? null,
    ]).then((r) => r)
  }

  /**
   * Applies RFC 6902 operations on the relay, atomically (all or nothing, PATCH_FAILED when one
   * fails, e.g. a `test`), optionally only at `expectedVersion`.
   */
  patch(
    id: string,
    ops: JsonPatchOperation[],
    options: RecordWriteOptions = {},
  ): Promise<{ version: number }> {
    return relayCall<{ version: number }>(this.#mesh, SERVICE, 'patch', [
      id,
      ops,
      options.expectedVersion ?? null,
    ]).then((r) => r)
  }

  /**
   * The record's value, then every update. A watcher that misses a version (a gap, a patch that
   * does not apply, a lost relay) is resynchronised with a full value; versions only increase
   * (unless a relay restart lost records kept in its memory: the watcher then sees version 0).
   */
  watch<T = unknown>(id: string, { mode = 'full' }: RecordWatchOptions = {}): Observable<RecordUpdate<T>> {
    return defer(() => {
      // Per subscriber: the copy a patch applies to, kept across re-subscriptions.
      let held: RecordValue<unknown> | undefined
      return defer(() =>
        relayCall<WireUpdate>(this.#mesh, SERVICE, 'watch', [id, mode], { stream: true }),
      ).pipe(
        map((update): RecordUpdate<T> | undefined => {
          if ('value' in update) {
            // A full value after a re-subscription may be the one already held: not news.
            if (held && update.version === held.version) return undefined
            held = { version: update.version, value: update.value }
            return held as RecordUpdate<T>
          }
          if (!held || update.version !== held.version + 1) throw RESYNC
          const applied = applyRecordPatch(held.value, update.patch)
          if ('error' in applied) throw RESYNC
          held = { version: update.version, value: applied.value }
          return { version: update.version, value: applied.value as T, patch: update.patch }
        }),
        retryWhileReconnecting(),
        retry({
          count: MAX_RESYNCS,
          resetOnSuccess: true,
          delay: (err) => (err === RESYNC ? timer(0) : throwError(() => err)),
        }),
      )
    }).pipe(filter((update): update is RecordUpdate<T> => update !== undefined))
  }
}
