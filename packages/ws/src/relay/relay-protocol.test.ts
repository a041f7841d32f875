import { afterEach, describe, expect, test } from 'bun:test'
import {
  decodeValue,
  ErrorCode,
  encodeFrame,
  encodeValue,
  FrameType,
  MeshError,
  PROTOCOL_VERSION,
  ResponseKind,
} from '@spider-mesh/core'
import { WebsocketRelayServer } from '../relay-server.js'
import { eventually, type FrameClient, RelayHarness } from './frame-client.test-helper.js'
import { RelayCloseCode } from './relay-close-codes.js'

const adapters = ['bun', 'node'] as const

/** Proves the relay still routes a call between two honest nodes. */
async function expectRouting(caller: FrameClient, provider: FrameClient, id: number): Promise<void> {
  caller.send([FrameType.Request, id, 'Echo', 'echo', null, encodeValue(['still working'])])
  const [, relayId, , , , payload] = await provider.next(FrameType.Request)
  provider.send([FrameType.Response, relayId, ResponseKind.Value, payload])
  const [, answeredId, , answer] = await caller.next(FrameType.Response, (frame) => frame[1] === id)
  expect(answeredId).toBe(id)
  expect(decodeValue(answer!)).toEqual(['still working'])
}

describe.each(adapters)('relay protocol (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('answers Ping with Pong carrying the same timestamp, even before Hello', async () => {
    const { url } = await harness.relay()
    const client = await harness.connect(url)
    client.send([FrameType.Ping, 1234.5])
    expect(await client.next(FrameType.Pong)).toEqual([FrameType.Pong, 1234.5])
  })

  test('refuses a node id that another live socket owns (4409) and frees it when the owner leaves', async () => {
    const { url } = await harness.relay()
    const owner = await harness.join(url, 'twin', ['Echo'])
    const impostor = await harness.connect(url)
    impostor.send([FrameType.Hello, PROTOCOL_VERSION, 'twin', ['Echo'], []])
    const [, code, message] = await impostor.next(FrameType.Error)
    expect(code).toBe(ErrorCode.NODE_ID_CONFLICT)
    expect(message).toContain('"twin"')
    expect((await impostor.closedWithin()).code).toBe(RelayCloseCode.NodeIdConflict)
    // The owner keeps its id and is not reported offline.
    expect(await owner.quiet(FrameType.Offline)).toEqual([])

    owner.close()
    await owner.closed
    const successor = await harness.connect(url)
    successor.send([FrameType.Hello, PROTOCOL_VERSION, 'twin', [], []])
    await eventually(() => successor.inbox.some((frame) => frame[0] === FrameType.Welcome), 'the Welcome')
  })

  test('refuses another protocol version with a message naming both (4426)', async () => {
    const { url } = await harness.relay()
    const client = await harness.connect(url)
    client.send([FrameType.Hello, PROTOCOL_VERSION + 41, 'future', [], []])
    const [, code, message] = await client.next(FrameType.Error)
    expect(code).toBe(ErrorCode.PROTOCOL_VERSION_MISMATCH)
    expect(message).toContain(`version ${PROTOCOL_VERSION + 41}`)
    expect(message).toContain(`version ${PROTOCOL_VERSION}`)
    expect((await client.closedWithin()).code).toBe(RelayCloseCode.VersionMismatch)
  })

  test('requires Hello before anything but Ping', async () => {
    const { url } = await harness.relay()
    const client = await harness.connect(url)
    client.send([FrameType.Subscribe, 'news'])
    const [, code, message] = await client.next(FrameType.Error)
    expect(code).toBe(ErrorCode.PROTOCOL_ERROR)
    expect(message).toContain('send Hello first')
  })

  const garbage: [string, Uint8Array | string][] = [
    ['garbage bytes', new Uint8Array([0xc1, 0xff, 0x00, 0x13])],
    ['truncated msgpack', encodeFrame([FrameType.Publish, 'news', new Uint8Array(64), null]).subarray(0, 20)],
    ['an unknown frame type', encodeFrame([99, 'x'] as never)],
    [
      'wrong field types',
      encodeFrame([FrameType.Request, 'one', 'Echo', 'echo', null, 'not bytes'] as never),
    ],
    ['a relay-only frame (Node)', encodeFrame([FrameType.Node, 'provider', ['Evil']])],
    ['a relay-only frame (Offline)', encodeFrame([FrameType.Offline, 'provider'])],
    ['a second Hello', encodeFrame([FrameType.Hello, PROTOCOL_VERSION, 'other', [], []])],
    ['a text message', 'hello relay'],
  ]
  for (const [what, data] of garbage) {
    test(`answers ${what} with a protocol error, forwards nothing and keeps routing`, async () => {
      const { url } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Echo'], ['news'])
      const caller = await harness.join(url, 'caller')
      const rogue = await harness.join(url, 'rogue', [], ['news'])
      // Start from empty inboxes once the joins have been announced.
      await provider.next(FrameType.Node, (frame) => frame[1] === 'rogue')
      await caller.next(FrameType.Node, (frame) => frame[1] === 'rogue')
      provider.inbox.length = 0
      caller.inbox.length = 0
      rogue.sendRaw(data)
      const [, code, , requestId] = await rogue.next(FrameType.Error)
      expect(code).toBe(ErrorCode.PROTOCOL_ERROR)
      expect(requestId).toBeNull()
      await expectRouting(caller, provider, 1)
      expect(await provider.quiet()).toEqual([])
      expect(caller.inbox).toEqual([])
    })
  }

  test('closes a connection after 20 protocol errors (4400)', async () => {
    const { url } = await harness.relay()
    const rogue = await harness.connect(url)
    for (let i = 0; i < 20; i++) rogue.sendRaw(new Uint8Array([0xc1]))
    expect((await rogue.closedWithin()).code).toBe(RelayCloseCode.TooManyProtocolErrors)
  })

  test('rejects a duplicate pending request id with a protocol error about that id', async () => {
    const { url } = await harness.relay()
    const provider = await harness.join(url, 'provider', ['Echo'])
    const caller = await harness.join(url, 'caller')
    caller.send([FrameType.Request, 3, 'Echo', 'echo', null, encodeValue([])])
    await provider.next(FrameType.Request)
    caller.send([FrameType.Request, 3, 'Echo', 'echo', null, encodeValue([])])
    const [, code, , requestId] = await caller.next(FrameType.Error)
    expect([code, requestId]).toEqual([ErrorCode.PROTOCOL_ERROR, 3])
    expect(await provider.quiet(FrameType.Request)).toEqual([])
  })

  test('closes only the socket that sends an oversized message (1009), and says which node it was', async () => {
    const debug: string[] = []
    const logger = { debug: (message: string) => debug.push(message), info() {}, warn() {}, error() {} }
    const { url } = await harness.relay({ maxPayloadBytes: 4096, logger })
    const provider = await harness.join(url, 'provider', ['Echo'])
    const caller = await harness.join(url, 'caller')
    const big = await harness.join(url, 'big')
    big.send([FrameType.Publish, 'news', new Uint8Array(8192), null])
    expect((await big.closedWithin()).code).toBe(RelayCloseCode.MessageTooBig)
    await expectRouting(caller, provider, 1)
    // The adapter's socket callbacks find the connection's node: its close on both, and the
    // `ws` error that comes first on the node adapter.
    const named = ['node "big" disconnected', ...(adapter === 'node' ? ['socket error on node "big"'] : [])]
    for (const text of named)
      await eventually(() => debug.some((message) => message.includes(text)), `a debug log with ${text}`)
  })

  test('closes a silent socket after 2.5 heartbeat intervals (4408) and keeps the live ones', async () => {
    const { url, server } = await harness.relay({ heartbeatIntervalMs: 100 })
    const live = await harness.join(url, 'live', ['Echo'])
    const silent = await harness.join(url, 'silent', ['Echo'])
    silent.answerPings = false
    const closed = await silent.closedWithin()
    expect(closed.code).toBe(RelayCloseCode.HeartbeatTimeout)
    expect(closed.reason).toBe('heartbeat timeout')
    expect(await live.next(FrameType.Offline)).toEqual([FrameType.Offline, 'silent'])
    // The live node answered every ping and is still connected after the silent one's deadline.
    expect(live.socket.readyState).toBe(WebSocket.OPEN)
    expect(server.stats().nodes).toBe(1)
  })

  test('sends Goodbye and closes every client (1001) on server.close()', async () => {
    const { url, server } = await harness.relay()
    const a = await harness.join(url, 'a', ['Echo'])
    const b = await harness.connect(url)
    await server.close()
    for (const client of [a, b]) {
      expect(await client.next(FrameType.Goodbye)).toEqual([FrameType.Goodbye, 'relay shutting down'])
      expect((await client.closedWithin()).code).toBe(RelayCloseCode.GoingAway)
    }
    expect(server.port).toBeNull()
    expect(server.stats()).toEqual({ connections: 0, nodes: 0, pending: 0, subscriptions: 0, services: 0 })
    await server.close()
  })

  test('returns every table to zero after everyone leaves', async () => {
    const { url, server } = await harness.relay()
    const provider = await harness.join(url, 'provider', ['Echo', 'Stream'], ['news'])
    const caller = await harness.join(url, 'caller', [], ['news', 'sports'])
    const stranger = await harness.connect(url)
    caller.send([FrameType.Request, 1, 'Stream', 'ticks', null, encodeValue([])])
    await provider.next(FrameType.Request)
    expect(server.stats()).toEqual({ connections: 3, nodes: 2, pending: 1, subscriptions: 3, services: 2 })
    for (const client of [provider, caller, stranger]) client.close()
    await eventually(() => server.stats().connections === 0, 'all connections to close')
    expect(server.stats()).toEqual({ connections: 0, nodes: 0, pending: 0, subscriptions: 0, services: 0 })
  })

  test('accepts upgrades on the configured path only', async () => {
    const { url, server } = await harness.relay({ path: '/mesh' })
    await harness.join(url, 'on-path')
    const wrong = `ws://127.0.0.1:${server.port}/elsewhere`
    await expect(harness.connect(wrong)).rejects.toThrow('could not connect')
  })

  test('closes a connection whose isServerConnection hook throws (1011)', async () => {
    const { url } = await harness.relay({
      isServerConnection: () => {
        throw new Error('token service down')
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    const client = await harness.connect(url)
    expect((await client.closedWithin()).code).toBe(RelayCloseCode.InternalError)
  })

  test('rejects ready with a clear error when the port is taken', async () => {
    const { server } = await harness.relay()
    const quiet = { debug() {}, info() {}, warn() {}, error() {} }
    const second = new WebsocketRelayServer({ host: '127.0.0.1', port: server.port!, adapter, logger: quiet })
    await expect(second.ready).rejects.toThrow(`could not listen on 127.0.0.1:${server.port}`)
    await second.close()
  })
})

describe('WebsocketRelayServer options', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['port', { port: 70_000 }],
    ['port', { port: -1 }],
    ['port', { port: '8787' }],
    ['path', { path: 'mesh' }],
    ['heartbeatIntervalMs', { heartbeatIntervalMs: 0 }],
    ['maxPayloadBytes', { maxPayloadBytes: 1.5 }],
    ['adapter', { adapter: 'deno' }],
    ['isServerConnection', { isServerConnection: true }],
    ['logger', { logger: {} }],
  ]
  for (const [name, options] of bad) {
    test(`rejects a bad ${name} (${JSON.stringify(options[name])}) with INVALID_OPTION`, () => {
      let thrown: unknown
      try {
        new WebsocketRelayServer(options as never)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(MeshError)
      expect((thrown as MeshError).code).toBe(ErrorCode.INVALID_OPTION)
      expect((thrown as MeshError).message).toContain(`option ${name}`)
    })
  }

  test('knows the bound port synchronously under the bun adapter', async () => {
    const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 0, adapter: 'bun' })
    expect(server.port).toBeGreaterThan(0)
    await server.close()
  })
})
