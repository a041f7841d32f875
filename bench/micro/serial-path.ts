/**
 * The JavaScript of one serial call on a node, without sockets or other processes: a mesh on the
 * real WebsocketTransporter (the browser entry, whose global `WebSocket` is swapped for a
 * stand-in relay in this process).
 * - `caller` times `await proxy.echo(payload)`, answered by the stand-in; `sink` the same call
 *   through `mesh.request()` with a plain sink resolving one promise (what the RemoteCall adds).
 * - `provider` times a Request the stand-in sends until the node writes its Response.
 * - `bare` times the stand-in's own round trip with no mesh: the same decode, encode and
 *   macrotask per message. `caller − bare` and `provider − bare` are the mesh's share.
 * Every message arrives from a fresh macrotask (setImmediate), as a socket's does. Caches are warm
 * here, unlike between processes: this ranks changes, it does not predict the unary bench.
 *
 *   bun bench/micro/serial-path.ts [CALLS] [ROUNDS]      # ns per call, median of ROUNDS
 */
import {
  decodeFrames,
  encodeFrame,
  encodeValue,
  type Frame,
  FrameType,
  Microservice,
  RemoteServiceLinker,
  ResponseKind,
  SpiderMesh,
  silentLogger,
} from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/browser'
import { PAYLOAD } from '../closed-loop.js'
import { median } from '../stats.js'

@Microservice({ name: 'BenchEcho' })
class BenchEcho {
  echo(payload: string): string {
    return payload
  }
}

const ANSWER = encodeValue(PAYLOAD)
const ARGS = encodeValue([PAYLOAD])

/** A relay in this process: welcomes the node, answers its Requests, and sends it Requests. */
class StandIn {
  static last: StandIn | undefined
  readyState = 0
  binaryType = 'arraybuffer'
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: unknown) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  /** Each Response frame the node writes (the provider bench). */
  onResponse: (frame: Frame) => void = () => {}

  constructor() {
    StandIn.last = this
    setImmediate(() => {
      this.readyState = 1
      this.onopen?.({})
    })
  }

  send(bytes: Uint8Array): void {
    decodeFrames(bytes, (frame) => {
      if (frame[0] === FrameType.Hello) {
        const provider: [string, string[], object] = ['stand-in-provider', ['BenchEcho'], {}]
        this.deliver(
          encodeFrame([FrameType.Welcome, frame[1], 'stand-in-relay', [provider], 30_000] as Frame),
        )
      } else if (frame[0] === FrameType.Request) {
        this.deliver(encodeFrame([FrameType.Response, frame[1], ResponseKind.Value, ANSWER]))
      } else if (frame[0] === FrameType.Response) {
        this.onResponse(frame)
      }
    })
  }

  /** A message from a fresh macrotask, in its own ArrayBuffer, as a socket delivers it. */
  deliver(bytes: Uint8Array): void {
    const data = bytes.slice().buffer
    setImmediate(() => this.onmessage?.({ data }))
  }

  close(): void {
    this.readyState = 3
  }
}
;(globalThis as { WebSocket?: unknown }).WebSocket = StandIn

async function connected(): Promise<{ mesh: SpiderMesh; relay: StandIn }> {
  const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 30_000 })
  const mesh = new SpiderMesh({ nodeId: `micro-${process.pid}`, logger: silentLogger })
  mesh.registerTransporter(transporter)
  transporter.connect('ws://stand-in')
  for (let i = 0; i < 100 && !transporter.status$.value.get('ws://stand-in')?.startsWith('connected'); i++)
    await new Promise((resolve) => setTimeout(resolve, 5))
  if (transporter.status$.value.get('ws://stand-in') !== 'connected')
    throw new Error('the stand-in never welcomed the node')
  return { mesh, relay: StandIn.last! }
}

/** ns per call of `calls` serial calls of `once`. */
async function time(calls: number, once: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) await once()
  return ((performance.now() - t0) * 1e6) / calls
}

const calls = Number(process.argv[2] ?? 50_000)
const rounds = Number(process.argv[3] ?? 7)

// The caller: the mesh's proxy against the stand-in's answers.
const caller = await connected()
const proxy = RemoteServiceLinker.link<BenchEcho>(caller.mesh, { service: 'BenchEcho', timeout: 30_000 })
const callOnce = () => proxy.echo(PAYLOAD)
// The same call through the mesh's primitive with a plain sink: one native promise, as `bare`
// has, so `caller − sink` is what the awaited RemoteCall (a thenable) adds.
const callOptions = { timeout: 30_000 }
const sinkOnce = () =>
  new Promise((resolve, reject) => {
    caller.mesh.request('BenchEcho', 'echo', [PAYLOAD], callOptions, {
      next: resolve,
      error: reject,
      complete() {},
    })
  })

// The provider: the stand-in sends Requests and waits for each Response.
const provider = await connected()
await provider.mesh.provide(new BenchEcho())
let nextId = 1
let answered: (() => void) | undefined
provider.relay.onResponse = () => answered?.()
const serveOnce = () =>
  new Promise<void>((resolve) => {
    answered = resolve
    provider.relay.deliver(
      encodeFrame([FrameType.Request, nextId++, 'BenchEcho', 'echo', 'stand-in-caller', ARGS]),
    )
  })

// Bare: the stand-in's round trip alone (decode the request, encode the answer, a macrotask).
const bare = new StandIn()
let bareDone: (() => void) | undefined
bare.onmessage = () => bareDone?.()
const request = encodeFrame([FrameType.Request, 1, 'BenchEcho', 'echo', null, ARGS])
const bareOnce = () =>
  new Promise<void>((resolve) => {
    bareDone = resolve
    bare.send(request)
  })

const figures: Record<string, number[]> = { caller: [], sink: [], provider: [], bare: [] }
await time(calls, callOnce)
await time(calls, sinkOnce)
await time(calls, serveOnce)
await time(calls, bareOnce)
for (let r = 0; r < rounds; r++) {
  figures.caller!.push(await time(calls, callOnce))
  figures.sink!.push(await time(calls, sinkOnce))
  figures.provider!.push(await time(calls, serveOnce))
  figures.bare!.push(await time(calls, bareOnce))
}
const m = (k: string) => median(figures[k]!)
const row = (k: string) =>
  `${k.padEnd(9)} ${m(k).toFixed(0).padStart(6)} ns/call   mesh share ${(m(k) - m('bare')).toFixed(0).padStart(5)} ns`
console.log(`${calls} serial calls × ${rounds} rounds, median (Bun ${Bun.version})`)
console.log(row('caller'))
console.log(row('sink'))
console.log(row('provider'))
console.log(`bare      ${m('bare').toFixed(0).padStart(6)} ns/call`)
await caller.mesh.close()
await provider.mesh.close()
process.exit(0)
