import { afterEach, describe, expect, test } from 'bun:test'
import {
  decodeValue,
  ErrorCode,
  encodeValue,
  FrameType,
  PROTOCOL_VERSION,
  ResponseKind,
  silentLogger,
} from '@spider-mesh/core'
import { eventually, RelayHarness } from './frame-client.test-helper.js'
import { RelayCloseCode } from './relay-close-codes.js'

const quiet = { logger: silentLogger }

describe.each(['bun', 'node'] as const)('relay limits (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('Welcome announces maxPayloadBytes and maxInFlight', async () => {
    const { url } = await harness.relay({ ...quiet, maxPayloadBytes: 1234, maxInFlightPerConnection: 7 })
    const node = await harness.join(url, 'n')
    expect(node.welcome![5]).toEqual({ maxPayloadBytes: 1234, maxInFlight: 7 })
  })

  test('a call past maxInFlightPerConnection gets OVERLOADED; earlier calls are untouched', async () => {
    const { url } = await harness.relay({ ...quiet, maxInFlightPerConnection: 2 })
    const provider = await harness.join(url, 'p', ['S'])
    const caller = await harness.join(url, 'c')
    for (const id of [1, 2, 3]) caller.send([FrameType.Request, id, 'S', 'm', null, encodeValue([])])
    const [, id, kind, payload] = await caller.next(FrameType.Response)
    expect([id, kind]).toEqual([3, ResponseKind.Refused])
    expect(decodeValue(payload!)).toMatchObject({ code: ErrorCode.OVERLOADED })
    await provider.next(FrameType.Request, (f) => f[1] !== undefined)
    await provider.next(FrameType.Request)
  })

  test('past maxFramesPerSecond requests get OVERLOADED, and a 10x flood is closed with 4429', async () => {
    const { url, server } = await harness.relay({ ...quiet, maxFramesPerSecond: 5 })
    await harness.join(url, 'p', ['S'])
    const caller = await harness.join(url, 'c')
    for (let id = 1; id <= 8; id++) caller.send([FrameType.Request, id, 'S', 'm', null, encodeValue([])])
    const overloaded = await caller.next(FrameType.Response, (f) => f[1] === 8)
    expect(decodeValue(overloaded[3]!)).toMatchObject({ code: ErrorCode.OVERLOADED })
    const flooder = await harness.join(url, 'flooder')
    for (let i = 0; i < 60; i++) flooder.send([FrameType.Ping, i])
    expect((await flooder.closedWithin()).code).toBe(RelayCloseCode.Flood)
    await eventually(() => server.stats().nodes === 2, 'the flooder to be forgotten')
  })

  test('a connection that never says Hello is closed after helloTimeoutMs (4408)', async () => {
    const { url, server } = await harness.relay({ ...quiet, helloTimeoutMs: 200, heartbeatIntervalMs: 100 })
    const mute = await harness.connect(url)
    const closed = await mute.closedWithin(3000)
    expect([closed.code, closed.reason]).toEqual([RelayCloseCode.HeartbeatTimeout, 'no Hello in time'])
    expect(server.stats().connections).toBe(0)
  })

  test('a call without any response for pendingTtlMs is dropped: caller gets a timeout, provider a cancel', async () => {
    const { url, server } = await harness.relay({ ...quiet, pendingTtlMs: 150, heartbeatIntervalMs: 100 })
    const provider = await harness.join(url, 'p', ['S'])
    const caller = await harness.join(url, 'c')
    caller.send([FrameType.Request, 1, 'S', 'm', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    const [, , kind, payload] = await caller.next(FrameType.Response)
    expect(kind).toBe(ResponseKind.Error)
    expect(decodeValue(payload!)).toMatchObject({ code: ErrorCode.MICROSERVICE_RPC_TIMEOUT })
    expect((await provider.next(FrameType.Cancel))[1]).toBe(relayId)
    expect(server.stats().pending).toBe(0)
  })

  test('a stream that keeps sending is not expired by the TTL', async () => {
    const { url, server } = await harness.relay({ ...quiet, pendingTtlMs: 300, heartbeatIntervalMs: 100 })
    const provider = await harness.join(url, 'p', ['S'])
    const caller = await harness.join(url, 'c')
    caller.send([FrameType.Request, 1, 'S', 'm', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    for (let i = 0; i < 8; i++) {
      provider.send([FrameType.Response, relayId, ResponseKind.Next, encodeValue(i)])
      await caller.next(FrameType.Response)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(server.stats().pending).toBe(1)
  })
})

/**
 * A WebSocket client that completes the handshake and then stops reading, as a stuck consumer
 * would: built on a raw TCP socket because WebSocket clients always read.
 */
async function stuckSubscriber(port: number, nodeId: string, topic: string) {
  const { connect } = await import('node:net')
  const { encodeFrame, PROTOCOL_VERSION } = await import('@spider-mesh/core')
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  await new Promise<void>((resolve) => socket.once('data', () => resolve()))
  // Client frames must be masked; a zero mask keeps the payload as is.
  const frame = (payload: Uint8Array) => {
    const header =
      payload.length < 126
        ? [0x82, 0x80 | payload.length]
        : [0x82, 0x80 | 126, payload.length >> 8, payload.length & 255]
    return Buffer.concat([Buffer.from(header), Buffer.alloc(4), Buffer.from(payload)])
  }
  socket.write(frame(encodeFrame([FrameType.Hello, PROTOCOL_VERSION, nodeId, [], [topic]])))
  socket.pause()
  return socket
}

describe.each(['bun', 'node'] as const)('slow-consumer guard (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('a subscriber that stops reading is closed once its send buffer passes maxBufferedBytes', async () => {
    const { url, server } = await harness.relay({ ...quiet, maxBufferedBytes: 256 * 1024 })
    const stuck = await stuckSubscriber(server.port!, 'stuck', 'firehose')
    const publisher = await harness.join(url, 'publisher')
    await eventually(() => server.stats().subscriptions === 1, 'the stuck subscriber to subscribe')
    const chunk = encodeValue(new Uint8Array(60 * 1024))
    // Bounded: at most 1000 × 60 KB; the guard must trip long before the kernel buffers fill up.
    for (let i = 0; i < 1000 && server.stats().subscriptions === 1; i++) {
      publisher.send([FrameType.Publish, 'firehose', chunk, null])
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5))
    }
    await eventually(() => server.stats().subscriptions === 0, 'the stuck subscriber to be closed')
    expect(server.stats().nodes).toBe(1)
    stuck.destroy()
  })
})

describe.each(['bun', 'node'] as const)('rate limit scope (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('a provider streaming responses faster than maxFramesPerSecond is neither throttled nor closed', async () => {
    const { url, server } = await harness.relay({ ...quiet, maxFramesPerSecond: 5 })
    const provider = await harness.join(url, 'p', ['S'])
    const caller = await harness.join(url, 'c')
    caller.send([FrameType.Request, 1, 'S', 'm', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    for (let i = 0; i < 100; i++)
      provider.send([FrameType.Response, relayId, ResponseKind.Next, encodeValue(i)])
    provider.send([FrameType.Response, relayId, ResponseKind.Complete, null])
    await caller.next(FrameType.Response, (f) => f[2] === ResponseKind.Complete)
    expect(caller.inbox.filter((f) => f[0] === FrameType.Response).length).toBe(100)
    expect(server.stats().nodes).toBe(2)
  })
})

describe.each(['bun', 'node'] as const)('node id held by a dead socket (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('a claim on a live id probes the owner: a silent owner is dropped within seconds, not heartbeats', async () => {
    // A 30 s heartbeat: without the probe the dead owner would keep the id for 75 s.
    const { url } = await harness.relay({ ...quiet, heartbeatIntervalMs: 30_000 })
    const ghost = await harness.join(url, 'node-1')
    ghost.answerPings = false
    const first = await harness.connect(url)
    first.send([FrameType.Hello, PROTOCOL_VERSION, 'node-1', [], []])
    expect((await first.closedWithin()).code).toBe(RelayCloseCode.NodeIdConflict)
    expect((await ghost.closedWithin(4000)).reason).toBe('no answer to the liveness probe')
    const retry = await harness.join(url, 'node-1')
    expect(retry.welcome![2]).toBe('node-1')
  })

  test('a live owner answers the probe and keeps its id', async () => {
    const { url, server } = await harness.relay({ ...quiet, heartbeatIntervalMs: 30_000 })
    await harness.join(url, 'node-2')
    const impostor = await harness.connect(url)
    impostor.send([FrameType.Hello, PROTOCOL_VERSION, 'node-2', [], []])
    expect((await impostor.closedWithin()).code).toBe(RelayCloseCode.NodeIdConflict)
    await new Promise((r) => setTimeout(r, 3000))
    expect(server.stats().nodes).toBe(1)
  })
})
