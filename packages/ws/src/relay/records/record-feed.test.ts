import { describe, expect, test } from 'bun:test'
import { applyRecordPatch, decodeValue } from '@spider-mesh/core'
import type { HostedCall } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import { MemoryRecordStore } from './memory-record-store.js'
import { RecordError } from './record-error.js'
import { RecordFeed } from './record-feed.js'
import type { RecordFollow, RecordState, RecordStore } from './record-store.js'

/** A hosted call that records what the feed sends. */
function fakeCall(): HostedCall & { sent: unknown[]; encoded: Set<Uint8Array>; onEnd?: () => void } {
  const call = {
    sent: [] as unknown[],
    ended: false,
    onEnd: undefined as (() => void) | undefined,
    /** The feed's end callback, kept for the test to end the call with `onEnd()`. */
    whenEnded(fn: () => void) {
      call.onEnd = fn
    },
    next(value: unknown) {
      call.sent.push(value)
    },
    /** Shared encodings arrive here: kept decoded, and the bytes counted to prove the sharing. */
    encoded: new Set<Uint8Array>(),
    nextEncoded(bytes: Uint8Array) {
      call.encoded.add(bytes)
      call.sent.push(decodeValue(bytes))
    },
    fail(code: string | undefined, message: string) {
      call.sent.push({ failed: code, message })
      call.ended = true
    },
  }
  return call as unknown as HostedCall & { sent: unknown[]; encoded: Set<Uint8Array>; onEnd?: () => void }
}

/** A store whose follow is driven by the test: it can skip versions, as NATS KV may. */
function drivenStore(initial: RecordState) {
  let push: (state: RecordState) => void = () => {}
  let fail: (err: Error) => void = () => {}
  let stopped = 0
  const store = {
    follow(_id: string, onState: (s: RecordState) => void, onError: (e: Error) => void): RecordFollow {
      push = onState
      fail = onError
      return { ready: Promise.resolve(initial), stop: () => stopped++ }
    },
  } as unknown as RecordStore
  return { store, push: (s: RecordState) => push(s), fail: (e: Error) => fail(e), stopped: () => stopped }
}

const ignore = () => {}
const silentLogger: RelayLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('RecordFeed', () => {
  test('sends the current value first, then values to full watchers and patches to patch watchers', async () => {
    const store = new MemoryRecordStore()
    await store.write('r', { a: 1 })
    let idle = 0
    const feed = new RecordFeed('r', store, silentLogger, () => idle++)
    const full = fakeCall()
    const patch = fakeCall()
    feed.add(full, 'full')
    feed.add(patch, 'patch')
    await tick()
    await store.write('r', { a: 2, b: [1] })
    await store.patch('r', [{ op: 'add', path: '/b/-', value: 2 }])
    expect(full.sent).toEqual([
      { version: 1, value: { a: 1 } },
      { version: 2, value: { a: 2, b: [1] } },
      { version: 3, value: { a: 2, b: [1, 2] } },
    ])
    expect(patch.sent[0]).toEqual({ version: 1, value: { a: 1 } })
    // Applying the patches the watcher got rebuilds every value.
    let held: unknown = { a: 1 }
    for (const update of patch.sent.slice(1) as { version: number; patch: never[] }[]) {
      const applied = applyRecordPatch(held, update.patch)
      if ('error' in applied) throw new Error(applied.error)
      held = applied.value
    }
    expect(held).toEqual({ a: 2, b: [1, 2] })
    full.onEnd?.()
    patch.onEnd?.()
    expect(idle).toBe(1)
  })

  test('one update is encoded once for all its watchers of a mode, however many there are', async () => {
    const store = new MemoryRecordStore()
    await store.write('r', { a: 1 })
    const feed = new RecordFeed('r', store, silentLogger, () => {})
    const fulls = [fakeCall(), fakeCall(), fakeCall()]
    const patches = [fakeCall(), fakeCall()]
    for (const c of fulls) feed.add(c, 'full')
    for (const c of patches) feed.add(c, 'patch')
    await tick()
    await store.write('r', { a: 2 })
    const [fullUpdate] = [...fulls[0]!.encoded].slice(-1)
    const [patchUpdate] = [...patches[0]!.encoded].slice(-1)
    for (const c of fulls) expect([...c.encoded].at(-1)).toBe(fullUpdate!)
    for (const c of patches) expect([...c.encoded].at(-1)).toBe(patchUpdate!)
    expect(decodeValue(patchUpdate!)).toEqual({
      version: 2,
      patch: [{ op: 'replace', path: '/a', value: 2 }],
    })
  })

  test('sends a full value instead of a patch after a version jump', async () => {
    const driven = drivenStore({ version: 1, value: { n: 1 } })
    const feed = new RecordFeed('r', driven.store, silentLogger, () => {})
    const watcher = fakeCall()
    feed.add(watcher, 'patch')
    await tick()
    driven.push({ version: 2, value: { n: 2 } })
    driven.push({ version: 5, value: { n: 5 } })
    driven.push({ version: 4, value: { n: 4 } }) // older than held: dropped
    driven.push({ version: 6, value: { n: 6 } })
    expect(watcher.sent).toEqual([
      { version: 1, value: { n: 1 } },
      { version: 2, patch: [{ op: 'replace', path: '/n', value: 2 }] },
      { version: 5, value: { n: 5 } },
      { version: 6, patch: [{ op: 'replace', path: '/n', value: 6 }] },
    ])
  })

  test('a watcher that joins later gets the latest value in full, then patches', async () => {
    const driven = drivenStore({ version: 1, value: { n: 1 } })
    const feed = new RecordFeed('r', driven.store, silentLogger, () => {})
    feed.add(fakeCall(), 'patch')
    await tick()
    driven.push({ version: 2, value: { n: 2 } })
    const late = fakeCall()
    feed.add(late, 'patch')
    driven.push({ version: 3, value: { n: 3 } })
    expect(late.sent).toEqual([
      { version: 2, value: { n: 2 } },
      { version: 3, patch: [{ op: 'replace', path: '/n', value: 3 }] },
    ])
  })

  test('a failing store ends every watcher with a typed error and stops following', async () => {
    const driven = drivenStore({ version: 0, value: null })
    let idle = 0
    const feed = new RecordFeed('r', driven.store, silentLogger, () => idle++)
    const watcher = fakeCall()
    feed.add(watcher, 'full')
    await tick()
    driven.fail(new Error('watch lost'))
    expect(watcher.sent).toEqual([
      { version: 0, value: null },
      { failed: 'STORE_UNAVAILABLE', message: 'Watching record "r" failed: watch lost' },
    ])
    expect(driven.stopped()).toBe(1)
    expect(idle).toBe(1)
  })

  test("a store's own error code reaches the watcher (CLUSTER_UNAVAILABLE makes clients watch again)", async () => {
    const driven = drivenStore({ version: 0, value: null })
    const feed = new RecordFeed('r', driven.store, silentLogger, () => {})
    const watcher = fakeCall()
    feed.add(watcher, 'full')
    await tick()
    driven.fail(new RecordError('CLUSTER_UNAVAILABLE', 'the KV watch stopped'))
    expect(watcher.sent.at(-1)).toEqual({
      failed: 'CLUSTER_UNAVAILABLE',
      message: 'Watching record "r" failed: the KV watch stopped',
    })
  })
})
