import type { JsonPatchOperation } from '@spider-mesh/core'

/** A record as stored: version 0 with value null means it does not exist. */
export interface RecordState {
  readonly version: number
  readonly value: unknown
}

/** The state of a record that was never written. */
export const ABSENT: RecordState = Object.freeze({ version: 0, value: null })

/** A record followed by a watch: its states arrive through the `onState` given to `follow`. */
export interface RecordFollow {
  /** Resolves with the record's state once every later change will reach `onState`. */
  readonly ready: Promise<RecordState>
  stop(): void
}

/**
 * Where records live: the relay's memory, or NATS KV shared by the cluster. Failures are
 * `RecordError`s (VERSION_CONFLICT, PATCH_FAILED, STORE_UNAVAILABLE…).
 */
export interface RecordStore {
  get(id: string): Promise<RecordState>
  /** Writes `value` (compare-and-set when `expectedVersion` is given); resolves with the new version. */
  write(id: string, value: unknown, expectedVersion?: number): Promise<number>
  /** Applies RFC 6902 `ops` to the stored value atomically; resolves with the new version. */
  patch(id: string, ops: JsonPatchOperation[], expectedVersion?: number): Promise<number>
  /**
   * Calls `onState` with the record's new states in increasing version order. Versions may jump
   * (a store may coalesce changes); `onState` gets the latest one. `onError` ends the follow.
   */
  follow(id: string, onState: (state: RecordState) => void, onError: (err: Error) => void): RecordFollow
  close(): Promise<void>
}
