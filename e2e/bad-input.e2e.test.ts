import { beforeAll, describe, expect, test } from 'bun:test'
import { encodeValue, FrameType, PROTOCOL_VERSION, ResponseKind } from '@spider-mesh/core'
import type { Matrix } from './fixtures/services.js'
import {
  type ManagedProcess,
  RawSocket,
  type RelayProcess,
  rejectionOf,
  startClient,
  startProvider,
  startRelay,
  type TestClient,
  until,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

describe('calling without a relay', () => {
  test('a call while no relay is connected fails fast with MICROSERVICE_OFFLINE', async () => {
    // A port that was just free: nothing listens there, so the transporter keeps retrying.
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
    const url = `ws://127.0.0.1:${probe.port}`
    probe.stop(true)
    const client = await startClient(url, { noWait: true })
    const matrix = client.link<Matrix>('Matrix', { timeout: 30_000 })
    const started = Date.now()
    const err = await within(3000, 'the call to fail', rejectionOf(matrix.whoami()))
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
    expect(Date.now() - started).toBeLessThan(2000)
    const stream = await within(3000, 'the stream to fail', rejectionOf(matrix.endless('never')))
    expect(stream.code).toBe('MICROSERVICE_OFFLINE')
  })

  test('wait({ timeout }) on a wrong relay URL says no relay is connected, with the URL and the cause', async () => {
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
    const url = `ws://127.0.0.1:${probe.port}`
    probe.stop(true)
    const client = await startClient(url, { noWait: true })
    const err = await within(
      3000,
      'wait() to time out',
      rejectionOf(client.link<Matrix>('Matrix').wait({ timeout: 500 })),
    )
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
    expect(err.message).toContain('No provider of Matrix appeared within 500 ms')
    expect(err.message).toContain(`this node is not connected to any relay (${url}: closed with code`)
  })

  test('a call on a transporter that was never connected fails fast with MICROSERVICE_OFFLINE', async () => {
    const client = await startClient([], { noWait: true })
    const err = await within(3000, 'the call to fail', rejectionOf(client.link<Matrix>('Matrix').whoami()))
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
  })
})

describe('a hostile or broken connection does not disturb the others', () => {
  let relay: RelayProcess
  let provider: ManagedProcess
  let client: TestClient

  beforeAll(async () => {
    relay = await startRelay({ adapter: 'bun' })
    provider = await startProvider({ relayUrl: relay.url, nodeId: 'victim' })
    client = await startClient(relay.url)
    await client.link<Matrix>('Matrix').wait({ timeout: 5000 })
  })

  async function stillServes() {
    const matrix = client.link<Matrix>('Matrix')
    expect(await matrix.whoami()).toBe('victim')
    expect(matrix.nodes.map((n) => n.node_id)).toEqual(['victim'])
    expect(provider.alive).toBe(true)
  }

  test('garbage bytes, text and malformed frames get protocol errors and are never forwarded', async () => {
    const raw = new RawSocket(relay.url)
    await raw.opened
    raw.send(new Uint8Array([0xc1, 0xff, 0x00, 0x13, 0x37]))
    raw.send('hello?')
    raw.send(new Uint8Array([0x93, 0x63, 0x01, 0x02])) // [99, 1, 2]: unknown frame type
    raw.send([FrameType.Request, 1, 'Matrix', 'whoami', null, new Uint8Array()]) // before Hello
    await raw.next(
      'four protocol errors',
      () => raw.frames.filter((f) => f[0] === FrameType.Error).length >= 4,
    )
    expect(raw.frames.filter((f) => f[0] === FrameType.Error).map((f) => f[1])).toEqual([
      'PROTOCOL_ERROR',
      'PROTOCOL_ERROR',
      'PROTOCOL_ERROR',
      'PROTOCOL_ERROR',
    ])
    await stillServes()
  })

  test('a Hello claiming a live node id is rejected and the real node keeps its identity', async () => {
    const events: string[] = []
    const sub = client.transporter.discovery$.subscribe((e: { type: string; node_id: string }) =>
      events.push(`${e.type} ${e.node_id}`),
    )
    const impostor = new RawSocket(relay.url)
    await impostor.opened
    impostor.send([FrameType.Hello, PROTOCOL_VERSION, 'victim', ['Matrix'], []])
    const error = await impostor.next('the rejection', (f) => f[0] === FrameType.Error)
    expect(error[1]).toBe('NODE_ID_CONFLICT')
    expect((await within(3000, 'the impostor to be closed', impostor.closed)).code).toBe(4409)
    await stillServes()
    sub.unsubscribe()
    expect(events).toEqual([])
  })

  test('a response from a node the request was not routed to is refused', async () => {
    const spoofer = new RawSocket(relay.url)
    await spoofer.opened
    spoofer.send([FrameType.Hello, PROTOCOL_VERSION, 'spoofer', [], []])
    await spoofer.next('welcome', (f) => f[0] === FrameType.Welcome)
    const matrix = client.link<Matrix>('Matrix')
    // `then` starts the (cold) call.
    const pending = matrix.slow(500).then((value) => value)
    await until('the call to be pending at the relay', async () => (await relay.stats()).pending === 1)
    // Relay ids are small sequential numbers: try them all with a forged answer.
    const forged = encodeValue('forged')
    for (let id = 1; id <= 15; id++) spoofer.send([FrameType.Response, id, ResponseKind.Value, forged])
    expect(await pending).toBe('slept 500')
    expect(spoofer.frames.filter((f) => f[0] === FrameType.Error).length).toBeGreaterThan(0)
    await stillServes()
  })

  test('a node speaking another protocol version gets a clear error', async () => {
    const old = new RawSocket(relay.url)
    await old.opened
    old.send([FrameType.Hello, PROTOCOL_VERSION + 99, 'from-the-future', [], []])
    const error = await old.next('the version error', (f) => f[0] === FrameType.Error)
    expect(error[1]).toBe('PROTOCOL_VERSION_MISMATCH')
    expect(String(error[2])).toContain(`version ${PROTOCOL_VERSION + 99}`)
    expect((await within(3000, 'the socket to be closed', old.closed)).code).toBe(4426)
    await stillServes()
  })
})
