import { createRecordPatch, ErrorCode, encodeValue } from '@spider-mesh/core'
import type { HostedCall } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import type { WatchMode } from './record-arguments.js'
import { RecordError } from './record-error.js'
import type { RecordFollow, RecordState, RecordStore } from './record-store.js'

interface Watcher {
  readonly call: HostedCall
  readonly mode: WatchMode
  /** The version this watcher holds; -1 until its first (full) value. */
  version: number
}

/**
 * The watchers of one record on this relay, sharing one follow of the store: each new state is
 * diffed once (rfc6902 createPatch from the previous state) for every patch-mode watcher. A
 * watcher gets a patch only when it holds exactly the previous version and the new one is next;
 * after any jump (a store that coalesced versions, a watcher that joined late) it gets the value.
 */
export class RecordFeed {
  readonly #id: string
  readonly #watchers = new Set<Watcher>()
  readonly #follow: RecordFollow
  readonly #onIdle: () => void
  #state: RecordState | undefined
  #ready = false
  #stopped = false

  constructor(id: string, store: RecordStore, logger: RelayLogger, onIdle: () => void) {
    this.#id = id
    this.#onIdle = onIdle
    this.#follow = store.follow(
      id,
      (state) => this.#update(state),
      (err) => this.#failAll(err),
    )
    this.#follow.ready.then(
      (state) => {
        if (!this.#state || state.version > this.#state.version) this.#state = state
        this.#ready = true
        for (const watcher of this.#watchers) this.#sendFull(watcher)
      },
      (err: Error) => {
        logger.warn(`$records: cannot watch record "${id}": ${err.message}`)
        this.#failAll(err)
      },
    )
  }

  add(call: HostedCall, mode: WatchMode): void {
    const watcher: Watcher = { call, mode, version: -1 }
    this.#watchers.add(watcher)
    call.whenEnded(() => this.#remove(watcher))
    if (this.#ready) this.#sendFull(watcher)
  }

  #update(state: RecordState): void {
    const previous = this.#state
    if (previous && state.version <= previous.version) return
    this.#state = state
    if (!this.#ready) return
    // Encoded once per update and shared: 100 watchers cost one encoding, not 100.
    let patched: Uint8Array | undefined
    let full: Uint8Array | undefined
    for (const watcher of this.#watchers) {
      if (watcher.call.ended) {
        this.#remove(watcher)
        continue
      }
      if (watcher.version >= state.version) continue
      if (
        watcher.mode === 'patch' &&
        previous &&
        watcher.version === previous.version &&
        state.version === previous.version + 1
      ) {
        patched ??= encodeValue({
          version: state.version,
          patch: createRecordPatch(previous.value, state.value),
        })
        watcher.call.nextEncoded(patched)
        watcher.version = state.version
      } else {
        full ??= encodeValue({ version: state.version, value: state.value })
        watcher.version = state.version
        watcher.call.nextEncoded(full)
      }
    }
  }

  #sendFull(watcher: Watcher): void {
    const state = this.#state
    if (!state || watcher.version >= state.version) return
    watcher.version = state.version
    watcher.call.next({ version: state.version, value: state.value })
  }

  #failAll(err: Error): void {
    const code = err instanceof RecordError ? err.code : ErrorCode.STORE_UNAVAILABLE
    for (const watcher of [...this.#watchers]) {
      watcher.call.fail(code, `Watching record "${this.#id}" failed: ${err.message}`)
      this.#watchers.delete(watcher)
    }
    this.#stop()
  }

  #remove(watcher: Watcher): void {
    this.#watchers.delete(watcher)
    if (this.#watchers.size === 0) this.#stop()
  }

  #stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#follow.stop()
    this.#onIdle()
  }
}
