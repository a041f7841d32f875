import { ErrorCode } from '@spider-mesh/core'
import type { HostedCall, HostedContext, HostedService } from '../hosted/hosted-service.js'
import { KvRecordStore } from './kv-record-store.js'
import { MemoryRecordStore } from './memory-record-store.js'
import { expectedVersionOf, patchOps, recordId, recordValue, watchMode } from './record-arguments.js'
import { RecordError } from './record-error.js'
import { RecordFeed } from './record-feed.js'
import type { RecordStore } from './record-store.js'

/** The reserved service name of versioned records. */
export const RECORDS_SERVICE = '$records'

/**
 * Versioned records, served by the relay: `get`, `write` (compare-and-set with an expected
 * version), `patch` (RFC 6902, applied here atomically) and `watch` (full values or patches).
 * The store is chosen at first use: NATS KV when the relay is in a cluster, else memory.
 */
export class RecordsService implements HostedService {
  readonly name = RECORDS_SERVICE
  readonly #context: HostedContext
  readonly #feeds = new Map<string, RecordFeed>()
  #store: RecordStore | undefined

  constructor(context: HostedContext) {
    this.#context = context
  }

  serve(call: HostedCall): void {
    this.#serve(call).catch((err: Error) => {
      if (err instanceof RecordError) call.fail(err.code, err.message, err.data)
      else call.fail(undefined, `$records.${call.method} failed: ${err.message}`)
    })
  }

  async close(): Promise<void> {
    await this.#store?.close()
  }

  async #serve(call: HostedCall): Promise<void> {
    const [rawId, second, third] = call.args
    const id = recordId(rawId, call.method)
    switch (call.method) {
      case 'get': {
        this.#allowed(call, 'read', id)
        const state = await this.#records().get(id)
        call.reply(state.version === 0 ? null : { version: state.version, value: state.value })
        return
      }
      case 'write': {
        this.#allowed(call, 'write', id)
        const value = recordValue(second, id)
        const version = await this.#records().write(id, value, expectedVersionOf(third, id))
        call.reply({ version })
        return
      }
      case 'patch': {
        this.#allowed(call, 'write', id)
        const ops = patchOps(second, id)
        const version = await this.#records().patch(id, ops, expectedVersionOf(third, id))
        call.reply({ version })
        return
      }
      case 'watch': {
        this.#allowed(call, 'read', id)
        const mode = watchMode(second)
        if (call.ended) return
        let feed = this.#feeds.get(id)
        if (!feed) {
          const created: RecordFeed = new RecordFeed(id, this.#records(), this.#context.logger, () => {
            if (this.#feeds.get(id) === created) this.#feeds.delete(id)
          })
          this.#feeds.set(id, created)
          feed = created
        }
        feed.add(call, mode)
        return
      }
      default:
        throw new RecordError(
          ErrorCode.MICROSERVICE_NOT_FOUND,
          `$records has no method "${call.method}" (get, write, patch, watch)`,
        )
    }
  }

  #allowed(call: HostedCall, what: 'read' | 'write', id: string): void {
    const access = call.caller.access
    if (access && !access[what].allows(id))
      throw new RecordError(
        ErrorCode.ACCESS_DENIED,
        `This connection may not ${what === 'read' ? 'read' : 'write'} record "${id}" (the relay's access rules: ${what})`,
      )
  }

  #records(): RecordStore {
    const cluster = this.#context.cluster
    this.#store ??= cluster ? new KvRecordStore(cluster, this.#context.logger) : new MemoryRecordStore()
    return this.#store
  }
}
