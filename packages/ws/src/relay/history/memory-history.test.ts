import { describe, expect, test } from 'bun:test'
import { decodeValue } from '@spider-mesh/core'
import type { HostedCall } from '../hosted/hosted-service.js'
import { MemoryHistory } from './memory-history.js'
import { resolveTopics } from './topic-policies.js'

/** A call that records what the store sends. */
function recordingCall(): HostedCall & { values: unknown[]; end(): void } {
  const call = {
    values: [] as unknown[],
    ended: false,
    onEnd: undefined as (() => void) | undefined,
    whenEnded(fn: () => void) {
      call.onEnd = fn
    },
    next(value: unknown) {
      if (!call.ended) call.values.push(value)
    },
    nextEncoded(bytes: Uint8Array) {
      if (!call.ended) call.values.push(decodeValue(bytes))
    },
    complete() {
      call.ended = true
    },
    end() {
      call.ended = true
      call.onEnd?.()
    },
  }
  return call as unknown as HostedCall & { values: unknown[]; end(): void }
}

const bytes = (n: number) => new Uint8Array([n])
const seqs = (values: unknown[]) => values.slice(1).map((v) => (v as [number])[0])

describe('MemoryHistory', () => {
  const [policy] = resolveTopics({ 't.*': { retain: 3 } })

  test('keeps the last `retain` messages per topic, numbered from 1, and replays the last n', () => {
    const store = new MemoryHistory()
    for (let i = 0; i < 5; i++) store.published(policy!, 't.a', bytes(i))
    const call = recordingCall()
    store.listen(call, policy!, 't.a', 2, undefined)
    expect(call.values[0]).toEqual([store.epoch])
    expect(call.values.slice(1)).toEqual([
      [4, bytes(3)],
      [5, bytes(4)],
    ])
    store.close()
  })

  test('a listener gets live messages after the replay, and none once it ended', () => {
    const store = new MemoryHistory()
    store.published(policy!, 't.a', bytes(0))
    const call = recordingCall()
    store.listen(call, policy!, 't.a', 3, undefined)
    store.published(policy!, 't.a', bytes(1))
    store.published(policy!, 't.b', bytes(9))
    call.end()
    store.published(policy!, 't.a', bytes(2))
    expect(seqs(call.values)).toEqual([1, 2])
    store.close()
  })

  test('a resume of the same epoch gets what followed its seq; of another epoch, everything retained', () => {
    const store = new MemoryHistory()
    for (let i = 0; i < 3; i++) store.published(policy!, 't.a', bytes(i))
    const same = recordingCall()
    store.listen(same, policy!, 't.a', 0, { epoch: store.epoch, seq: 1 })
    expect(seqs(same.values)).toEqual([2, 3])
    const other = recordingCall()
    store.listen(other, policy!, 't.a', 0, { epoch: 'memory-gone', seq: 7 })
    expect(seqs(other.values)).toEqual([1, 2, 3])
    store.close()
  })

  test('many messages through a small retain keep exactly the last ones (the head moves and compacts)', () => {
    const [small] = resolveTopics({ big: { retain: 10 } })
    const store = new MemoryHistory()
    for (let i = 0; i < 5000; i++) store.published(small!, 'big', bytes(i % 256))
    const call = recordingCall()
    store.listen(call, small!, 'big', 100, undefined)
    expect(seqs(call.values)).toEqual(Array.from({ length: 10 }, (_, k) => 4991 + k))
    store.close()
  })
})
