import { describe, expect, test } from 'bun:test'
import { decodeValue } from './codec.js'
import { FrameBatch } from './frame-batch.js'
import { decodeFrame, decodeFrames, encodeFrame, type Frame, FrameType } from './frames.js'
import { binContent, rawFrame, readRawFrame } from './raw-frames.js'
import { seeded } from './seeded.test-helper.js'

// The relay forwards Responses and plain Requests from their bytes. The reader must agree with
// the generic decoder on every frame it takes, and leave everything else to it.

const ids = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]
const sizes = [0, 1, 100, 255, 256, 600, 65_535, 65_536]
const names = [
  '',
  'a',
  'BenchEcho',
  'x'.repeat(31),
  'y'.repeat(32),
  'z'.repeat(300),
  'Sérvice✓',
  '🕸'.repeat(9),
]

function payload(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * 7 + fill) & 0xff)
}

const responses: Frame[] = ids.flatMap((id, i) =>
  [0, 1, 2, 3, 4].flatMap((kind) => [
    [FrameType.Response, id, kind, payload(sizes[(i + kind) % sizes.length]!, kind)] as Frame,
    [FrameType.Response, id, kind, null] as Frame,
  ]),
)
const requests: Frame[] = ids.flatMap((id, i) =>
  names.map(
    (service, j) =>
      [
        FrameType.Request,
        id,
        service,
        names[(i + j + 1) % names.length]!,
        j % 3 === 0 ? null : names[(i + 2 * j) % names.length]!,
        payload(sizes[(i + j) % sizes.length]!, j),
      ] as Frame,
  ),
)

describe('readRawFrame', () => {
  test('reads every Response and plain Request exactly as the generic decoder does', () => {
    const raw = rawFrame()
    for (const frame of [...responses, ...requests]) {
      const bytes = encodeFrame(frame)
      // At an offset, as the second frame of a coalesced message.
      const message = new Uint8Array([...encodeFrame([FrameType.Ping, 5]), ...bytes])
      const pos = message.length - bytes.length
      expect(readRawFrame(message, pos, raw)).toBe(true)
      expect(raw.end).toBe(message.length)
      expect(raw.id).toBe(frame[1] as number)
      if (frame[0] === FrameType.Response) {
        expect(raw.type).toBe(FrameType.Response)
        expect(raw.kind).toBe(frame[2] as number)
        expect(binContent(message, raw)).toEqual(frame[3] as Uint8Array | null)
      } else {
        expect(raw.type).toBe(FrameType.Request)
        expect([raw.service, raw.method, raw.destination]).toEqual([frame[2], frame[3], frame[4]] as never)
        expect(binContent(message, raw)).toEqual(frame[5] as Uint8Array)
        // The names' range holds exactly the two encoded strings.
        // (Wrapped as a two-element array, so the value decoder reads both.)
        const names = new Uint8Array([0x92, ...message.subarray(raw.namesStart, raw.namesEnd)])
        expect(decodeValue(names)).toEqual([frame[2], frame[3]])
      }
    }
  })

  test('leaves other frames, Requests with options, and 64-bit ids to the generic decoder', () => {
    const raw = rawFrame()
    const others: Frame[] = [
      [FrameType.Ping, 1],
      [FrameType.Cancel, 3],
      [FrameType.Credit, 3, 10],
      [FrameType.Publish, 't', new Uint8Array(2), null],
      [FrameType.Request, 1, 's', 'm', null, new Uint8Array(1), { deadline: 100 }],
      [FrameType.Response, 2 ** 40, 0, null],
      [FrameType.Request, 2 ** 40, 's', 'm', null, new Uint8Array(1)],
    ]
    for (const frame of others) expect(readRawFrame(encodeFrame(frame), 0, raw)).toBe(false)
  })

  test('never takes a truncated frame, nor one the generic decoder would refuse', () => {
    const raw = rawFrame()
    const next = seeded(20261201)
    const samples = [...responses, ...requests].filter((f) => encodeFrame(f).length < 2000)
    let taken = 0
    for (const frame of samples) {
      const bytes = encodeFrame(frame)
      for (let cut = 0; cut < bytes.length; cut++)
        expect(readRawFrame(bytes.subarray(0, cut), 0, raw)).toBe(false)
      // Random byte changes: whatever the reader takes, the generic decoder reads the same way.
      for (let round = 0; round < 40; round++) {
        const mutated = bytes.slice()
        const at = Math.floor(next() * Math.min(mutated.length, 24))
        mutated[at] = Math.floor(next() * 256)
        if (!readRawFrame(mutated, 0, raw)) continue
        taken++
        const decoded = decodeFrame(mutated.subarray(0, raw.end))
        expect(decoded[0] as number).toBe(raw.type)
        expect(decoded[1] as number).toBe(raw.id)
        if (raw.type === FrameType.Response) expect(decoded[2] as number).toBe(raw.kind)
        else
          expect([decoded[2], decoded[3], decoded[4]]).toEqual([
            raw.service,
            raw.method,
            raw.destination,
          ] as never)
      }
    }
    // The mutations must have produced frames the reader took, or the check above proved nothing.
    expect(taken).toBeGreaterThan(100)
  })
})

describe('binContent', () => {
  test('a payload up to 512 bytes is a copy of its own, a longer one a view; nil is null', () => {
    for (const size of [0, 1, 100, 512, 513, 70_000]) {
      const payload = new Uint8Array(size).map((_, i) => i * 7)
      const message = Uint8Array.from([
        ...encodeFrame([FrameType.Ping, 1]),
        ...encodeFrame([FrameType.Response, 5, 3, payload]),
      ])
      const raw = rawFrame()
      const at = encodeFrame([FrameType.Ping, 1]).byteLength
      expect(readRawFrame(message, at, raw)).toBe(true)
      const bytes = binContent(message, raw)!
      expect(Buffer.from(bytes).equals(Buffer.from(payload))).toBe(true)
      expect(bytes.buffer === message.buffer).toBe(size > 512)
    }
    const nil = encodeFrame([FrameType.Response, 5, 1, null])
    const raw = rawFrame()
    expect(readRawFrame(nil, 0, raw)).toBe(true)
    expect(binContent(nil, raw)).toBeNull()
  })
})

describe('FrameBatch raw writers', () => {
  /** Collects what a batch writes, decoded. */
  function collect(): { batch: FrameBatch; frames: Frame[]; messages: number } {
    const out = { frames: [] as Frame[], messages: 0, batch: undefined as unknown as FrameBatch }
    out.batch = new FrameBatch(
      (message) => {
        out.messages++
        decodeFrames(message, (frame) => out.frames.push(frame))
      },
      { flushAtBytes: 70_000 },
    )
    return out
  }

  test('re-heads Responses and Requests with new ids, coalesced with other frames', async () => {
    const out = collect()
    const raw = rawFrame()
    const expected: Frame[] = []
    const source = encodeFrame('caller-1' as never)
    for (const [i, frame] of [...responses, ...requests].entries()) {
      const bytes = encodeFrame(frame)
      expect(readRawFrame(bytes, 0, raw)).toBe(true)
      const id = [5, 300, 70_000, 2 ** 32 + 9, 2 ** 50][i % 5]!
      if (raw.type === FrameType.Response) {
        out.batch.addResponseRaw(id, raw.kind, bytes, raw.payloadStart, raw.end)
        expected.push([FrameType.Response, id, raw.kind, frame[3] as Uint8Array | null])
      } else {
        out.batch.addRequestRaw(id, bytes, raw, source)
        expected.push([FrameType.Request, id, frame[2], frame[3], 'caller-1', frame[5]] as Frame)
      }
      if (i % 7 === 0) {
        out.batch.add([FrameType.Ping, i])
        expected.push([FrameType.Ping, i])
      }
    }
    await Promise.resolve()
    expect(out.frames).toEqual(expected)
    // Coalesced, and split where the flush size says (several 64 KiB payloads).
    expect(out.messages).toBeGreaterThan(1)
    expect(out.messages).toBeLessThan(expected.length / 4)
  })
})
