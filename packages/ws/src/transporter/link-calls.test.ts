import { afterEach, expect, test } from 'bun:test'
import {
  callContext,
  decodeValue,
  ErrorCode,
  encodeFrame,
  encodeValue,
  type Frame,
  FrameType,
  type MeshError,
  Microservice,
  RemoteServiceLinker,
  ResponseKind,
  SpiderMesh,
  silentLogger,
} from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'
import { WebsocketRelayServer } from '../relay-server.js'
import { standInRelay } from './stand-in-relay.test-helper.js'

@Microservice({ name: 'Big' })
class Big {
  bytes(size: number) {
    return new Uint8Array(size)
  }
}

@Microservice({ name: 'Echo' })
class Echo {
  who(what: string) {
    const context = callContext()
    return `${what} from ${context?.callerId ?? '(none)'}, meta ${JSON.stringify(context?.meta)}`
  }
}

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

test('a result over the relay limit ends the call with PAYLOAD_TOO_LARGE and is logged on the provider', async () => {
  const relay = new WebsocketRelayServer({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 4096,
    logger: silentLogger,
  })
  await relay.ready
  cleanups.push(() => relay.close({ drainTimeoutMs: 0 }))
  const url = `ws://127.0.0.1:${relay.port}`
  const warnings: string[] = []
  const node = (warn?: (m: string) => void) => {
    const transporter = new WebsocketTransporter(warn ? { onWarning: warn } : { onWarning: () => {} })
    const mesh = new SpiderMesh({ logger: silentLogger })
    mesh.registerTransporter(transporter)
    transporter.connect(url)
    cleanups.push(() => mesh.close({ drainTimeoutMs: 0 }))
    return mesh
  }
  const providerMesh = node((m) => warnings.push(m))
  await providerMesh.provide(new Big())
  const caller = RemoteServiceLinker.link<Big>(node(), { service: 'Big', timeout: 3000 })
  await caller.wait({ timeout: 3000 })
  expect((await caller.bytes(10)).byteLength).toBe(10)
  const err = await caller.bytes(10_000).then(
    () => undefined,
    (e: MeshError) => e,
  )
  expect(err?.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
  expect(err?.message).toMatch(
    /^The result of Big\.bytes is \d+ bytes; relay ws:\/\/\S+ accepts messages up to \d+ bytes/,
  )
  expect(
    warnings.some((w) => w.includes('The result of Big.bytes is ') && w.includes('PAYLOAD_TOO_LARGE')),
  ).toBe(true)
})

test('frames read from their bytes and decoded ones, mixed in one message, are each handled in order', async () => {
  // A stand-in relay: it welcomes the node, then answers the node's call with one message that
  // holds a plain Request (read raw), the Response (raw), a Request with options (decoded) and a
  // Ping (decoded), and records what the node sends back.
  const received: Frame[] = []
  let answered: () => void = () => {}
  const allBack = new Promise<void>((resolve) => {
    answered = resolve
  })
  const relay = standInRelay({
    providers: [['stand-in-provider', ['Echo']]],
    frame(frame, send) {
      received.push(frame)
      if (frame[0] === FrameType.Request) {
        const message = concat([
          encodeFrame([FrameType.Request, 100, 'Echo', 'who', 'node-a', encodeValue(['raw'])]),
          encodeFrame([FrameType.Response, frame[1], ResponseKind.Value, encodeValue('answer')]),
          encodeFrame([
            FrameType.Request,
            101,
            'Echo',
            'who',
            null,
            encodeValue(['decoded']),
            { meta: { m: '1' } },
          ]),
          encodeFrame([FrameType.Ping, 5]),
        ])
        send(message)
      }
      if (received.filter((f) => f[0] !== FrameType.Request).length === 3) answered()
    },
  })
  cleanups.push(async () => relay.stop())
  const transporter = new WebsocketTransporter({ onWarning: () => {} })
  const mesh = new SpiderMesh({ logger: silentLogger })
  mesh.registerTransporter(transporter)
  cleanups.push(() => mesh.close({ drainTimeoutMs: 0 }))
  await mesh.provide(new Echo())
  transporter.connect(relay.url)
  const proxy = RemoteServiceLinker.link<Echo>(mesh, { service: 'Echo', timeout: 3000 })
  await proxy.wait({ timeout: 3000 })
  expect(await proxy.who('call')).toBe('answer')
  await allBack
  const back = received.filter((f) => f[0] !== FrameType.Request)
  expect(back.map((f) => (f[0] === FrameType.Response ? [f[1], f[2], decodeValue(f[3]!)] : f))).toEqual([
    [100, ResponseKind.Value, 'raw from node-a, meta {}'],
    [101, ResponseKind.Value, 'decoded from (none), meta {"m":"1"}'],
    [FrameType.Pong, 5],
  ])
})

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}
