/**
 * The floor of a caller on the mesh relay: serial `BenchEcho.echo(payload)` calls made with
 * bytes alone. It says Hello once, then writes each Request from a prepared tail (service,
 * method, the encoded `[payload]`) after a fresh id, and awaits a native promise the matching
 * Response resolves — the awaiting loop an application has, without the mesh. The interleaved
 * A/B (bench/ab/interleave.ts) runs it as B's caller with AB_B_CALLER=processes/raw-caller.ts:
 * A's caller against it is what the mesh's calling path costs a serial call. Same stdin protocol
 * as ab/ab-caller.ts: `RUN n` makes n calls and prints `ROUND <µs, comma-separated>`; prints
 * `READY` once welcomed. A Response that is not a value fails the process.
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
import { PAYLOAD } from '../closed-loop.js'
import { envString, fail, holdLifeline, say } from '../lifeline.js'

const socket = new WebSocket(envString('RELAY_URL'))
socket.binaryType = 'nodebuffer' as BinaryType
const raw = rawFrame()
// Everything of a Request after its id: 'BenchEcho', 'echo', nil (any provider), bin([payload]).
const tail = encodeFrame([FrameType.Request, 0, 'BenchEcho', 'echo', null, encodeValue([PAYLOAD])]).subarray(
  3,
)
const out = new Uint8Array(tail.byteLength + 8)
let nextId = 1
let answered: (() => void) | undefined
let welcomed: (() => void) | undefined
const ready = new Promise<void>((resolve) => {
  welcomed = resolve
})

socket.onopen = () =>
  socket.send(
    encodeFrame([FrameType.Hello, PROTOCOL_VERSION, `raw-caller-${process.pid}`, [], [], {}, ['BenchEcho']]),
  )
socket.onclose = (event) => fail(new Error(`raw caller socket closed (${event.code})`))
socket.onmessage = (event) => decodeFrames(event.data as Uint8Array, onFrame, take)

function onFrame(frame: Frame): void {
  if (frame[0] === FrameType.Welcome) welcomed?.()
  else if (frame[0] === FrameType.Ping) socket.send(encodeFrame([FrameType.Pong, frame[1]]))
  else if (frame[0] === FrameType.Response) fail(new Error(`call ${frame[1]} answered with kind ${frame[2]}`))
}

/** The Response to the call in flight resolves it; anything else is decoded (onFrame). */
function take(bytes: Uint8Array, pos: number): number {
  if (!readRawFrame(bytes, pos, raw) || raw.type !== FrameType.Response || raw.kind !== ResponseKind.Value)
    return -1
  if (raw.id !== nextId - 1)
    fail(new Error(`a Response for ${raw.id}, not the call in flight (${nextId - 1})`))
  answered?.()
  return raw.end
}

/** Sends `[Request, id, …tail]`: the id as a msgpack uint (ids stay below 2^32). */
function call(): Promise<void> {
  let at = 0
  out[at++] = 0x96
  out[at++] = FrameType.Request
  at = writeUint(out, at, nextId++)
  out.set(tail, at)
  const done = new Promise<void>((resolve) => {
    answered = resolve
  })
  socket.send(out.subarray(0, at + tail.byteLength))
  return done
}

async function round(n: number): Promise<string> {
  const latencies = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await call()
    latencies[i] = (performance.now() - t0) * 1000
  }
  return Array.from(latencies, (v) => v.toFixed(1)).join(',')
}

let queue = Promise.resolve()
holdLifeline((line) => {
  const [command, count] = line.split(' ')
  if (command === 'RUN') queue = queue.then(async () => say(`ROUND ${await round(Number(count))}`))
})
await ready
say('READY')
