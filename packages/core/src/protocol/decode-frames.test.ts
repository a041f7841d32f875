import { describe, expect, test } from 'bun:test'
import { encodeValue } from './codec.js'
import { decodeFrames, encodeFrame, type Frame, FrameType } from './frames.js'
import { rawFrame, readRawFrame } from './raw-frames.js'

// decodeFrames offers each frame to `take` first; a message of only taken frames never sets up
// the decoder, and the decoder, once set up, starts at the first frame `take` declined.

const ping = (n: number): Frame => [FrameType.Ping, n]
const response = (id: number): Frame => [FrameType.Response, id, 0, encodeValue(`value ${id}`)]
const request = (id: number): Frame => [FrameType.Request, id, 'Svc', 'm', null, encodeValue([id])]

function message(...frames: Frame[]): Uint8Array {
  const parts = frames.map(encodeFrame)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** How the log names a Ping frame reaching onFrame. */
const pinged = (n: number) => `frame ${FrameType.Ping} ${n}`

/** A take that reads Requests and Responses (as the relay's does) and logs every offer and frame. */
function reader() {
  const raw = rawFrame()
  const log: string[] = []
  const offers: number[] = []
  const take = (bytes: Uint8Array, pos: number): number => {
    offers.push(pos)
    if (!readRawFrame(bytes, pos, raw)) return -1
    log.push(`${raw.type === FrameType.Request ? 'request' : 'response'} ${raw.id}`)
    return raw.end
  }
  const onFrame = (frame: Frame) => log.push(`frame ${frame[0]} ${frame[1]}`)
  return { log, offers, take, onFrame }
}

describe('decodeFrames with a take', () => {
  test('frames the take reads skip onFrame, and every frame arrives in message order', () => {
    const r = reader()
    decodeFrames(message(response(1), ping(2), request(3), response(4), ping(5)), r.onFrame, r.take)
    expect(r.log).toEqual(['response 1', pinged(2), 'request 3', 'response 4', pinged(5)])
  })

  test('each frame is offered to the take once, the declined first one included', () => {
    const r = reader()
    const bytes = message(ping(1), response(2), ping(3))
    decodeFrames(bytes, r.onFrame, r.take)
    const pingLength = encodeFrame(ping(1)).length
    const responseLength = encodeFrame(response(2)).length
    expect(r.offers).toEqual([0, pingLength, pingLength + responseLength])
    expect(r.log).toEqual([pinged(1), 'response 2', pinged(3)])
  })

  test('a message of taken frames only, and an empty message, reach no onFrame', () => {
    const r = reader()
    decodeFrames(message(request(1), response(1), response(2)), r.onFrame, r.take)
    decodeFrames(new Uint8Array(0), r.onFrame, r.take)
    expect(r.log).toEqual(['request 1', 'response 1', 'response 2'])
  })

  test('a take that decodes another message meanwhile leaves the outer message intact', () => {
    const r = reader()
    const inner = message(response(11), ping(10), response(12))
    let nested = false
    const take = (bytes: Uint8Array, pos: number): number => {
      // Past the declined first frame the decoder is in use: the nested message needs its own.
      if (!nested && pos > 0) {
        nested = true
        // A handler that decodes a message of its own from inside the take: its second frame is
        // declined, so it is decoded from there by a decoder other than the busy one.
        decodeFrames(inner, r.onFrame, r.take)
      }
      return r.take(bytes, pos)
    }
    decodeFrames(message(ping(1), response(2), ping(3)), r.onFrame, take)
    expect(r.log).toEqual([pinged(1), 'response 11', pinged(10), 'response 12', 'response 2', pinged(3)])
  })

  test('a malformed frame after taken ones: those are delivered, then PROTOCOL_ERROR', () => {
    const r = reader()
    const good = message(response(1), request(2))
    const bytes = new Uint8Array(good.length + 2)
    bytes.set(good)
    bytes.set([0x92, 0xc1], good.length) // 0xc1 is never valid msgpack
    expect(() => decodeFrames(bytes, r.onFrame, r.take)).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
    )
    expect(r.log).toEqual(['response 1', 'request 2'])
  })

  test('without a take every frame is decoded, as before', () => {
    const frames: Frame[] = []
    decodeFrames(message(response(1), ping(2)), (frame) => frames.push(frame))
    expect(frames.map((f) => [f[0], f[1]])).toEqual([
      [FrameType.Response, 1],
      [FrameType.Ping, 2],
    ])
  })
})
