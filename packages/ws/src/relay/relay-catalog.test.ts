import { afterEach, describe, expect, test } from 'bun:test'
import {
  decodeValue,
  ErrorCode,
  encodeValue,
  FrameType,
  PROTOCOL_VERSION,
  ResponseKind,
  type ServiceCatalog,
} from '@spider-mesh/core'
import { type FrameClient, RelayHarness } from './frame-client.test-helper.js'

/** A provider that announces what it serves of `Orders`, and answers every request with its id. */
async function provider(harness: RelayHarness, url: string, nodeId: string, catalog: ServiceCatalog) {
  const client = await harness.connect(url)
  client.send([FrameType.Hello, PROTOCOL_VERSION, nodeId, Object.keys(catalog), [], {}, [], catalog])
  client.welcome = await client.next(FrameType.Welcome)
  return client
}

/** Serves `count` requests on `client`, answering each with the node id; resolves their methods. */
async function serve(client: FrameClient, nodeId: string, count: number): Promise<string[]> {
  const methods: string[] = []
  for (let i = 0; i < count; i++) {
    const request = await client.next(FrameType.Request)
    methods.push(request[3])
    client.send([FrameType.Response, request[1], ResponseKind.Value, encodeValue(nodeId)])
  }
  return methods
}

function call(caller: FrameClient, id: number, method: string, version?: string): void {
  const frame = [FrameType.Request, id, 'Orders', method, null, encodeValue([])] as const
  caller.send(version === undefined ? [...frame] : [...frame, { version }])
}

const v1 = { Orders: { methods: ['list'], version: '1.4.0' } }
const v2 = { Orders: { methods: ['list', 'place'], version: '2.0.0' } }

describe.each(['bun', 'node'] as const)('method- and version-aware routing (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())
  const warnings: string[] = []
  const logger = { debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error() {} }

  test('a call goes only to providers that have its method; the relay warns once that they differ', async () => {
    warnings.length = 0
    const { url } = await harness.relay({ logger })
    const old = await provider(harness, url, 'old', v1)
    const fresh = await provider(harness, url, 'new', v2)
    const caller = await harness.join(url, 'caller')
    for (let id = 1; id <= 4; id++) call(caller, id, 'place')
    expect(await serve(fresh, 'new', 4)).toEqual(['place', 'place', 'place', 'place'])
    for (let id = 1; id <= 4; id++) {
      const response = await caller.next(FrameType.Response, (f) => f[1] === id)
      expect(decodeValue(response[3]!)).toBe('new')
    }
    expect(await old.quiet(FrameType.Request)).toEqual([])
    // A method both have still alternates.
    call(caller, 10, 'list')
    call(caller, 11, 'list')
    await Promise.all([serve(old, 'old', 1), serve(fresh, 'new', 1)])
    expect(warnings.filter((w) => w.includes('The providers of "Orders" differ'))).toHaveLength(1)
    expect(warnings[0]).toContain('node "old" (v1.4.0: list)')

    const directory = (await (await fetch(`http://127.0.0.1:${new URL(url).port}/directory`)).json()) as {
      service_catalog: Record<string, unknown>
      nodes: { node_id: string; catalog: ServiceCatalog }[]
    }
    expect(directory.service_catalog.Orders).toEqual({
      versions: ['1.4.0', '2.0.0'],
      methods: ['list', 'place'],
      differs: true,
    })
    expect(directory.nodes.find((n) => n.node_id === 'new')?.catalog).toEqual(v2)
  })

  test('a method no provider has is refused with MICROSERVICE_NOT_FOUND, never delivered', async () => {
    const { url } = await harness.relay({ logger })
    const old = await provider(harness, url, 'old', v1)
    await provider(harness, url, 'new', v2)
    const caller = await harness.join(url, 'caller')
    call(caller, 1, 'cancel')
    const response = await caller.next(FrameType.Response)
    expect(response[2]).toBe(ResponseKind.Refused)
    const error = decodeValue(response[3]!) as { code: string; message: string }
    expect(error.code).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
    expect(error.message).toContain('has no method "cancel"')
    expect(await old.quiet(FrameType.Request)).toEqual([])
  })

  test('a version range in the Request picks providers in it; none in it is MICROSERVICE_OFFLINE', async () => {
    const { url } = await harness.relay({ logger })
    const old = await provider(harness, url, 'old', v1)
    const fresh = await provider(harness, url, 'new', v2)
    const caller = await harness.join(url, 'caller')
    for (let id = 1; id <= 3; id++) call(caller, id, 'list', '^1')
    expect(await serve(old, 'old', 3)).toEqual(['list', 'list', 'list'])
    expect(await fresh.quiet(FrameType.Request)).toEqual([])
    // The provider never sees the range: the relay decided.
    call(caller, 4, 'list', '>=2')
    const request = await fresh.next(FrameType.Request)
    expect(request).toHaveLength(6)
    call(caller, 5, 'list', '^3')
    const refused = await caller.next(FrameType.Response, (f) => f[1] === 5)
    expect(refused[2]).toBe(ResponseKind.Refused)
    expect((decodeValue(refused[3]!) as { code: string }).code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })

  test('watchers get the catalog in Welcome and Node frames, also when only the catalog changed', async () => {
    const { url } = await harness.relay({ logger })
    const fresh = await provider(harness, url, 'new', v2)
    const watcher = await harness.join(url, 'watcher')
    expect(watcher.welcome?.[3]).toEqual([['new', ['Orders'], v2]])
    const v3 = { Orders: { methods: ['list', 'place'], version: '3.0.0' } }
    fresh.send([FrameType.Services, ['Orders'], v3])
    expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'new', ['Orders'], v3])
    // The same catalog again is not a change.
    fresh.send([FrameType.Services, ['Orders'], v3])
    expect(await watcher.quiet(FrameType.Node)).toEqual([])
  })

  test('a catalog entry naming a method past maxNameLength is dropped, so every method still reaches it', async () => {
    const { url } = await harness.relay({ logger, maxNameLength: 8 })
    const long = { Orders: { methods: ['list', 'averyveryverylongname'], version: '1.0.0' } }
    const node = await provider(harness, url, 'long', long)
    const watcher = await harness.join(url, 'watcher')
    expect(watcher.welcome?.[3]).toEqual([['long', ['Orders']]])
    call(watcher, 1, 'anything')
    expect((await node.next(FrameType.Request))[3]).toBe('anything')
  })
})
