/**
 * The floor of a provider on the mesh relay: `BenchEcho.echo(text)` served by byte handling
 * alone. It says Hello once (serving BenchEcho), then answers each plain Request for `echo` by
 * re-heading its argument's bytes as the Response (`[text]` in, `text` out) with no decode, no
 * encode and no mesh. `bench/ab/interleave.ts` runs it as B's provider with
 * AB_B_PROVIDER=processes/raw-provider.ts: A's provider against it is what the mesh's serving
 * path costs a serial call. Any other request gets an error answer; Pings get their Pong.
 * Prints `READY` once welcomed.
 */
import {
  decodeFrames,
  encodeFrame,
  encodeValue,
  type Frame,
  FrameType,
  PROTOCOL_VERSION,
  ResponseKind,
  rawFrame,
  readRawFrame,
  writeUint,
} from '@spider-mesh/core'
import { envString, holdLifeline, say } from '../lifeline.js'

holdLifeline()
const socket = new WebSocket(envString('RELAY_URL'))
socket.binaryType = 'nodebuffer' as BinaryType
const raw = rawFrame()
const out = new Uint8Array(512)
const NOT_SERVED = encodeValue({ code: 'RAW_PROVIDER', message: 'the raw provider serves echo(text) only' })

socket.onopen = () => {
  const catalog = { BenchEcho: { methods: ['echo'] } }
  socket.send(
    encodeFrame([
      FrameType.Hello,
      PROTOCOL_VERSION,
      `raw-provider-${process.pid}`,
      ['BenchEcho'],
      [],
      {},
      [],
      catalog,
    ]),
  )
}
socket.onmessage = (event) => decodeFrames(event.data as Uint8Array, onFrame, take)

function onFrame(frame: Frame): void {
  if (frame[0] === FrameType.Welcome) say('READY')
  else if (frame[0] === FrameType.Ping) socket.send(encodeFrame([FrameType.Pong, frame[1]]))
  else if (frame[0] === FrameType.Request)
    socket.send(encodeFrame([FrameType.Response, frame[1], ResponseKind.Error, NOT_SERVED]))
}

/** A plain Request for echo with one short string: answered from its bytes; anything else decoded. */
function take(bytes: Uint8Array, pos: number): number {
  if (!readRawFrame(bytes, pos, raw) || raw.type !== FrameType.Request || raw.method !== 'echo') return -1
  // The payload is [text]: a fixarray of one (0x91), then the str element, copied as the result.
  const start = raw.contentStart + 1
  const length = raw.end - start
  const head = bytes[start]!
  const text = (head >= 0xa0 && head <= 0xbf) || head === 0xd9 || head === 0xda
  if (bytes[raw.contentStart] !== 0x91 || !text || length > 255) return -1
  let at = 0
  out[at++] = 0x94
  out[at++] = FrameType.Response
  at = writeUint(out, at, raw.id)
  out[at++] = ResponseKind.Value
  out[at++] = 0xc4
  out[at++] = length
  for (let i = 0; i < length; i++) out[at + i] = bytes[start + i]!
  socket.send(out.subarray(0, at + length))
  return raw.end
}
