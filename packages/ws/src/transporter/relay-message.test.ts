import { expect, test } from 'bun:test'
import { encodeFrame, type Frame, FrameType } from '@spider-mesh/core'
import { readRelayMessage } from './relay-message.js'

// A message arrives as an ArrayBuffer (binaryType 'arraybuffer'), a Buffer ('nodebuffer', which
// may view a larger buffer at an offset) or another view: each must read as the same frames.
const frames: Frame[] = [
  [FrameType.Ping, 7],
  [FrameType.Response, 3, 0, new Uint8Array([0xa1, 0x78])],
]
const message = Uint8Array.from([...encodeFrame(frames[0]!), ...encodeFrame(frames[1]!)])

function read(data: unknown): { frames: Frame[]; warnings: string[] } {
  const out = { frames: [] as Frame[], warnings: [] as string[] }
  readRelayMessage(
    data,
    'ws://test',
    (frame) => out.frames.push(frame),
    (w) => out.warnings.push(w),
  )
  return out
}

test('an ArrayBuffer, a Buffer at an offset, a Uint8Array and a DataView read as the same frames', () => {
  const padded = new Uint8Array(message.byteLength + 10)
  padded.set(message, 5)
  const forms = [
    message.slice().buffer,
    Buffer.from(padded.buffer, 5, message.byteLength),
    padded.subarray(5, 5 + message.byteLength),
    new DataView(padded.buffer, 5, message.byteLength),
  ]
  for (const data of forms) expect(read(data)).toEqual({ frames, warnings: [] })
})

test('a text message is reported and ignored', () => {
  expect(read('hello')).toEqual({
    frames: [],
    warnings: ['Relay ws://test sent a non-binary message; ignored'],
  })
})
