import { describe, expect, test } from 'bun:test'
import { FrameBatch } from './frame-batch.js'
import { decodeFrames, encodeFrame, type Frame, FrameType } from './frames.js'

// Frames are encoded straight into the batch buffer (FastEncoder.encodeInto): whatever the sizes,
// every frame must come out once, in order, and no message may pass the flush size unless it is
// one frame alone.

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

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
