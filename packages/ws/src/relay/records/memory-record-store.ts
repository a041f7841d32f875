import type { JsonPatchOperation } from '@spider-mesh/core'
import { patchedValue } from './patched-value.js'
import { versionConflict } from './record-error.js'
import { ABSENT, type RecordFollow, type RecordState, type RecordStore } from './record-store.js'

/**
 * Records in this relay's memory (a relay outside a cluster): every operation is synchronous, so
 * a compare-and-set needs no retry and followers see every version in order. Gone on restart.
 */
export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, RecordState>()
  readonly #followers = new Map<string, Set<(state: RecordState) => void>>()

  async get(id: string): Promise<RecordState> {
    return this.#records.get(id) ?? ABSENT
  }

  async write(id: string, value: unknown, expectedVersion?: number): Promise<number> {
    const current = this.#records.get(id) ?? ABSENT
    if (expectedVersion !== undefined && expectedVersion !== current.version)
      throw versionConflict(id, expectedVersion, current.version)
    return this.#store(id, { version: current.version + 1, value })
  }

  async patch(id: string, ops: JsonPatchOperation[], expectedVersion?: number): Promise<number> {
    const current = this.#records.get(id) ?? ABSENT
    const value = patchedValue(id, current, ops, expectedVersion)
    return this.#store(id, { version: current.version + 1, value })
  }

  follow(id: string, onState: (state: RecordState) => void): RecordFollow {
    const followers = this.#followers.get(id) ?? new Set()
    this.#followers.set(id, followers)
    followers.add(onState)
    return {
      ready: Promise.resolve(this.#records.get(id) ?? ABSENT),
      stop: () => {
        followers.delete(onState)
        if (followers.size === 0) this.#followers.delete(id)
      },
    }
  }

  async close(): Promise<void> {
    this.#followers.clear()
  }

  #store(id: string, state: RecordState): number {
    this.#records.set(id, state)
    for (const onState of this.#followers.get(id) ?? []) onState(state)
    return state.version
  }
}
