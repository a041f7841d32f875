import { describe, expect, test } from 'bun:test'
import { FrameBatch } from './frame-batch.js'
import { decodeFrames, encodeFrame, type Frame, FrameType } from './frames.js'
import { seeded } from './seeded.test-helper.js'

// Frames are encoded straight into the batch buffer (FastEncoder.encodeInto): whatever the sizes,
// every frame must come out once, in order, and no message may pass the flush size unless it is
// one frame alone.

function framesOf(count: number, seed: number): Frame[] {
  const next = seeded(seed)
  const sizes = [0, 1, 40, 200, 3000, 20_000, 70_000, 300_000, 1_500_000]
  return Array.from({ length: count }, (_, i) => {
    const size = sizes[Math.floor(next() ** 3 * sizes.length)]!
    const payload = new Uint8Array(size).fill(i & 0xff)
    return i % 3 === 0
      ? ([FrameType.Response, i, 3, payload] as Frame)
      : ([FrameType.Request, i, `Service${i % 7}`, 'méthode', i % 2 ? null : 'node-x', payload] as Frame)
  })
}

/** A batch whose write keeps a copy of each message; `onWrite` runs after each write. */
function written(onWrite?: () => void) {
  const messages: Uint8Array[] = []
  return {
    messages,
    batch: new FrameBatch((m) => {
      messages.push(m.slice())
      onWrite?.()
    }),
  }
}

/**
 * A batch with writeCopies whose write keeps the view it was given and a copy of its bytes;
 * `onWrite` (given the batch) runs after each write.
 */
function viewing(onWrite?: (batch: FrameBatch) => void) {
  const views: Uint8Array[] = []
  const copies: Uint8Array[] = []
  const batch: FrameBatch = new FrameBatch(
    (m) => {
      views.push(m)
      copies.push(m.slice())
      onWrite?.(batch)
    },
    { writeCopies: true },
  )
  return { views, copies, batch }
}

describe.each([false, true])('FrameBatch (writeCopies: %p)', (writeCopies) => {
  test('every frame once, in order, each message within the flush size unless one frame alone', async () => {
    const flushAt = 64 * 1024
    const messages: Uint8Array[] = []
    // The write copies at once, as a socket that copies on send does.
    const batch = new FrameBatch((message) => messages.push(message.slice()), {
      flushAtBytes: flushAt,
      writeCopies,
    })
    const frames = framesOf(300, writeCopies ? 7 : 8)
    for (const [i, frame] of frames.entries()) {
      batch.add(frame)
      if (i % 25 === 0) await Promise.resolve() // a new tick now and then
    }
    await Promise.resolve()
    const decoded: Frame[] = []
    for (const message of messages) {
      const before = decoded.length
      decodeFrames(message, (frame) => decoded.push(frame))
      expect(decoded.length).toBeGreaterThan(before)
      if (message.byteLength > flushAt) expect(decoded.length - before).toBe(1)
    }
    expect(decoded).toEqual(frames)
  })

  test('frames added and encoded bytes interleaved keep their order', async () => {
    const messages: Uint8Array[] = []
    const batch = new FrameBatch((message) => messages.push(message.slice()), { writeCopies })
    const expected: Frame[] = []
    for (let i = 0; i < 50; i++) {
      const frame: Frame = [FrameType.Ping, i]
      if (i % 2) batch.add(frame)
      else batch.addBytes(encodeFrame(frame))
      expected.push(frame)
    }
    await Promise.resolve()
    expect(messages.length).toBe(1)
    const decoded: Frame[] = []
    decodeFrames(messages[0]!, (frame) => decoded.push(frame))
    expect(decoded).toEqual(expected)
  })
})

describe('write turns', () => {
  test('frames queued in a turn are written when it ends, one message per batch, and only then', async () => {
    const a = written()
    const b = written()
    expect(FrameBatch.beginTurn()).toBe(true)
    a.batch.add([FrameType.Cancel, 1])
    b.batch.add([FrameType.Cancel, 2])
    a.batch.add([FrameType.Cancel, 3])
    expect(a.messages.length + b.messages.length).toBe(0)
    FrameBatch.endTurn()
    expect(a.messages.length).toBe(1)
    expect(b.messages.length).toBe(1)
    const frames: Frame[] = []
    decodeFrames(a.messages[0]!, (f) => frames.push(f))
    expect(frames).toEqual([
      [FrameType.Cancel, 1],
      [FrameType.Cancel, 3],
    ])
    // No second write from a microtask, and the next frame schedules one again.
    await Promise.resolve()
    expect(a.messages.length).toBe(1)
    a.batch.add([FrameType.Cancel, 4])
    await Promise.resolve()
    expect(a.messages.length).toBe(2)
  })

  test('a nested beginTurn changes nothing: the outer turn writes at its end', () => {
    const a = written()
    expect(FrameBatch.beginTurn()).toBe(true)
    expect(FrameBatch.beginTurn()).toBe(false)
    a.batch.add([FrameType.Cancel, 1])
    expect(a.messages.length).toBe(0)
    FrameBatch.endTurn()
    expect(a.messages.length).toBe(1)
  })

  test('a write that throws at the end of a turn does not stop the other batches', async () => {
    const a = written()
    const failing = new FrameBatch(() => {
      throw new Error('socket gone')
    })
    expect(FrameBatch.beginTurn()).toBe(true)
    failing.add([FrameType.Cancel, 1])
    a.batch.add([FrameType.Cancel, 2])
    expect(() => FrameBatch.endTurn()).toThrow('socket gone')
    expect(a.messages.length).toBe(1)
    // The next turn starts clean: the same batch writes again.
    expect(FrameBatch.beginTurn()).toBe(true)
    a.batch.add([FrameType.Cancel, 3])
    FrameBatch.endTurn()
    expect(a.messages.length).toBe(2)
  })

  test('outside a turn frames still leave together at the microtask', async () => {
    const a = written()
    a.batch.add([FrameType.Cancel, 1])
    a.batch.add([FrameType.Cancel, 2])
    expect(a.messages.length).toBe(0)
    await Promise.resolve()
    expect(a.messages.length).toBe(1)
  })
})

describe('the written view (writeCopies)', () => {
  test('messages of the same length reuse one view; its bytes are each message', () => {
    const { views: seen, copies, batch } = viewing()
    batch.add([FrameType.Cancel, 1])
    batch.flush()
    batch.add([FrameType.Cancel, 2])
    batch.flush()
    batch.add([FrameType.Cancel, 300])
    batch.flush()
    expect(seen[1]).toBe(seen[0]!)
    expect(seen[2]).not.toBe(seen[1]!)
    expect(copies).toEqual([
      encodeFrame([FrameType.Cancel, 1]),
      encodeFrame([FrameType.Cancel, 2]),
      encodeFrame([FrameType.Cancel, 300]),
    ])
  })

  test('after a message over 1 MiB no view keeps the large buffer alive', () => {
    const seen: Uint8Array[] = []
    const batch = new FrameBatch((m) => seen.push(m), { writeCopies: true })
    batch.add([FrameType.Response, 1, 0, new Uint8Array(2 << 20)])
    batch.flush()
    batch.add([FrameType.Cancel, 1])
    batch.flush()
    expect(seen[0]!.buffer.byteLength).toBeGreaterThan(2 << 20)
    expect(seen[1]!.buffer.byteLength).toBeLessThan(4096)
  })
})

describe('addRequest and addResponse', () => {
  // Ids, names and payloads at every boundary of the msgpack formats they are written in, names
  // that are not ASCII (the generic encoder's), and ids no writer takes (negative, fractional).
  const ids = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, 1.5]
  const names = [
    '',
    'a',
    'x'.repeat(31),
    'x'.repeat(32),
    'y'.repeat(255),
    'y'.repeat(256),
    'z'.repeat(65_536),
    'méthode',
    '日本',
  ]
  const sizes = [0, 1, 255, 256, 513, 65_535, 65_536, 200_000]

  function frames(seed: number, count: number): Frame[] {
    const next = seeded(seed)
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!
    return Array.from({ length: count }, () => {
      const payload = new Uint8Array(pick(sizes)).map(() => Math.floor(next() * 256))
      if (next() < 0.4)
        return [FrameType.Response, pick(ids), Math.floor(next() * 5), next() < 0.2 ? null : payload] as Frame
      return [
        FrameType.Request,
        pick(ids),
        pick(names),
        pick(names),
        next() < 0.5 ? null : pick(names),
        payload,
      ] as Frame
    })
  }

  test.each([false, true])(
    'write byte for byte what add() writes, flushes included (writeCopies: %p)',
    async (writeCopies) => {
      for (const seed of [1, 2, 3]) {
        const viaAdd: Uint8Array[] = []
        const direct: Uint8Array[] = []
        const options = { flushAtBytes: 100_000, writeCopies }
        const a = new FrameBatch((m) => viaAdd.push(m.slice()), options)
        const b = new FrameBatch((m) => direct.push(m.slice()), options)
        for (const [i, frame] of frames(seed, 400).entries()) {
          a.add(frame)
          if (frame[0] === FrameType.Response) b.addResponse(frame[1], frame[2], frame[3])
          else {
            const [, id, service, method, node, payload] = frame as [
              number,
              number,
              string,
              string,
              string | null,
              Uint8Array,
            ]
            b.addRequest(id, service, method, node, payload)
          }
          if (i % 40 === 0) await Promise.resolve()
        }
        await Promise.resolve()
        expect(direct.length).toBe(viaAdd.length)
        for (const [i, message] of direct.entries())
          expect(Buffer.from(message).equals(Buffer.from(viaAdd[i]!))).toBe(true)
      }
    },
  )
})

describe('spare buffers: a socket sent only small messages holds no buffer between them', () => {
  test('once written, a small batch gives its buffer back: the next batch writes from the same one', () => {
    const a = viewing()
    const b = viewing()
    a.batch.add([FrameType.Cancel, 1])
    a.batch.flush()
    b.batch.add([FrameType.Cancel, 2])
    b.batch.flush()
    expect(b.views[0]!.buffer).toBe(a.views[0]!.buffer)
    expect(a.copies).toEqual([encodeFrame([FrameType.Cancel, 1])])
    expect(b.copies).toEqual([encodeFrame([FrameType.Cancel, 2])])
  })

  test('batches filled in the same turn each write from their own buffer, and every message is whole', () => {
    const batches = Array.from({ length: 5 }, viewing)
    expect(FrameBatch.beginTurn()).toBe(true)
    for (let round = 0; round < 3; round++) {
      for (const [i, { batch }] of batches.entries()) batch.add([FrameType.Cancel, i * 10 + round])
    }
    FrameBatch.endTurn()
    const buffers = new Set(batches.map(({ views }) => views[0]!.buffer))
    expect(buffers.size).toBe(5)
    for (const [i, { copies }] of batches.entries()) {
      const frames: Frame[] = []
      decodeFrames(copies[0]!, (f) => frames.push(f))
      expect(frames).toEqual([0, 1, 2].map((round) => [FrameType.Cancel, i * 10 + round]))
    }
  })

  test('a batch whose frames outgrew the first buffer keeps its grown buffer; no other batch gets it', () => {
    const big = viewing()
    const other = viewing()
    big.batch.add([FrameType.Response, 1, 0, new Uint8Array(1000)])
    big.batch.flush()
    big.batch.add([FrameType.Cancel, 1])
    big.batch.flush()
    other.batch.add([FrameType.Cancel, 2])
    other.batch.flush()
    expect(big.views[1]!.buffer).toBe(big.views[0]!.buffer)
    expect(other.views[0]!.buffer).not.toBe(big.views[0]!.buffer)
    expect(big.copies[1]).toEqual(encodeFrame([FrameType.Cancel, 1]))
    expect(other.copies[0]).toEqual(encodeFrame([FrameType.Cancel, 2]))
  })

  test('a write that queues frames (into its own batch and another) loses none and mixes none', async () => {
    const other = viewing()
    let reentered = false
    const { copies, batch } = viewing((self) => {
      if (reentered) return
      reentered = true
      // As a backpressure handler might: frames for this socket and for another, mid-write.
      self.add([FrameType.Cancel, 2])
      other.batch.add([FrameType.Cancel, 3])
    })
    batch.add([FrameType.Cancel, 1])
    batch.flush()
    await Promise.resolve()
    expect(copies).toEqual([encodeFrame([FrameType.Cancel, 1]), encodeFrame([FrameType.Cancel, 2])])
    expect(other.copies).toEqual([encodeFrame([FrameType.Cancel, 3])])
  })
})

describe('the microtask write (outside a turn)', () => {
  test('every batch given frames in one tick is written at the microtask, each as one message', async () => {
    const all = Array.from({ length: 4 }, () => written())
    for (const [i, { batch }] of all.entries()) {
      batch.add([FrameType.Cancel, i])
      batch.add([FrameType.Cancel, i + 100])
    }
    expect(all.every(({ messages }) => messages.length === 0)).toBe(true)
    await Promise.resolve()
    expect(all.map(({ messages }) => messages.length)).toEqual([1, 1, 1, 1])
    // And again in the next tick: the microtask is queued anew.
    all[2]!.batch.add([FrameType.Cancel, 7])
    await Promise.resolve()
    expect(all[2]!.messages.length).toBe(2)
  })

  test('frames a write queues for a batch already written are written too, without another tick', async () => {
    const later = written()
    const first = written(() => later.batch.add([FrameType.Cancel, 9]))
    const second = written(() => first.batch.add([FrameType.Cancel, 8]))
    first.batch.add([FrameType.Cancel, 1])
    second.batch.add([FrameType.Cancel, 2])
    await Promise.resolve()
    expect(first.messages.map((m) => [...m])).toEqual([
      [...encodeFrame([FrameType.Cancel, 1])],
      [...encodeFrame([FrameType.Cancel, 8])],
    ])
    expect(second.messages.length).toBe(1)
    expect(later.messages.length).toBeGreaterThanOrEqual(1)
  })

  test('a write that throws at the microtask does not stop the other batches, nor later writes', () => {
    // In a process of its own: the throw surfaces as an uncaught error, as it did before, which
    // the test runner would count against this file.
    const script = `
      import { FrameBatch } from ${JSON.stringify(new URL('./frame-batch.ts', import.meta.url).pathname)}
      const errors = []
      process.on('uncaughtException', (err) => errors.push(err.message))
      const written = []
      const ok = new FrameBatch((m) => written.push(m.length))
      const failing = new FrameBatch(() => { throw new Error('socket gone') })
      failing.add([3, 1])
      ok.add([3, 2])
      await Bun.sleep(5)
      ok.add([3, 3])
      await Bun.sleep(5)
      console.log(JSON.stringify({ errors, written: written.length }))
    `
    const run = Bun.spawnSync([process.execPath, '-e', script], { stderr: 'pipe' })
    expect(run.stderr.toString()).toBe('')
    expect(JSON.parse(run.stdout.toString())).toEqual({ errors: ['socket gone'], written: 2 })
  })
})
