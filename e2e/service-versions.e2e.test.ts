import { describe, expect, test } from 'bun:test'
import { ErrorCode } from '@spider-mesh/core'
import type { OrdersV2 } from './fixtures/services.js'
import {
  ADAPTERS,
  firstMatching,
  type ManagedProcess,
  rejectionOf,
  relayJson,
  spawn,
  startClient,
  startCluster,
  startProvider,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname
const cliSource = `${root}packages/ws/src/bin/spider-mesh.ts`

interface Summary {
  versions: string[]
  methods: string[]
  differs: boolean
}

/** `spider-mesh ls` against a relay, as a real process; resolves what it printed. */
async function ls(url: string): Promise<string> {
  const proc: ManagedProcess = spawn('spider-mesh ls', [process.execPath, cliSource, 'ls', '--relay', url], {
    SPIDER_MESH_RELAY: undefined,
    SPIDER_MESH_TOKEN: undefined,
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
  const code = await proc.exited
  clearTimeout(timer)
  expect(code).toBe(0)
  return proc.lines
    .filter((l) => l.stream === 'stdout')
    .map((l) => l.text)
    .join('\n')
}

describe.each(ADAPTERS)(
  'a rolling deploy: two builds of OrderService on one relay (%s adapter)',
  (adapter) => {
    test('placeOrder reaches only the provider that has it; ls and the relay log say the providers differ', async () => {
      const relay = await startRelay({ adapter })
      await startProvider({ relayUrl: relay.url, nodeId: 'orders-old', services: ['OrdersV1'] })
      await startProvider({ relayUrl: relay.url, nodeId: 'orders-new', services: ['OrdersV2'] })
      const client = await startClient(relay.url)
      const orders = client.link<OrdersV2>('OrderService')
      await firstMatching(orders.watch(), 'both providers', 5000, (nodes) => nodes.length === 2)

      const placed = await Promise.all(Array.from({ length: 20 }, (_, i) => orders.placeOrder(`o${i}`)))
      expect(placed).toEqual(Array.from({ length: 20 }, (_, i) => `o${i} placed by orders-new`))
      const listed = await Promise.all(Array.from({ length: 4 }, () => orders.listOrders()))
      expect(new Set(listed)).toEqual(new Set(['listed by orders-old', 'listed by orders-new']))

      const warned = /The providers of "OrderService" differ: .*v1\.4\.0: listOrders/
      await until('the relay to warn on stderr that the providers differ', () =>
        relay.proc.lines.some((line) => line.stream === 'stderr' && warned.test(line.text)),
      )
      const directory = await relayJson<{ service_catalog: Record<string, Summary> }>(relay, '/directory')
      expect(directory.service_catalog.OrderService).toEqual({
        versions: ['1.4.0', '2.0.0'],
        methods: ['listOrders', 'placeOrder'],
        differs: true,
      })
      const printed = await ls(relay.url)
      expect(printed).toContain('OrderService@1.4.0')
      expect(printed).toContain('OrderService@2.0.0')
      expect(printed).toContain(
        '! providers of OrderService differ: orders-new (v2.0.0); orders-old (v1.4.0, lacks placeOrder)',
      )
    })

    test('link({ version }) keeps calls in the range; a range nobody runs is MICROSERVICE_OFFLINE, never delivered', async () => {
      const relay = await startRelay({ adapter })
      await startProvider({ relayUrl: relay.url, nodeId: 'orders-old', services: ['OrdersV1'] })
      await startProvider({ relayUrl: relay.url, nodeId: 'orders-new', services: ['OrdersV2'] })
      const client = await startClient(relay.url)
      const v1 = client.link<OrdersV2>('OrderService', { version: '~1.4' })
      await v1.wait({ timeout: 5000 })
      const answers = await Promise.all(Array.from({ length: 6 }, () => v1.listOrders()))
      expect(answers).toEqual(Array(6).fill('listed by orders-old'))
      // placeOrder exists only in 2.0: within ~1.4 nobody has it.
      const missing = await rejectionOf(v1.placeOrder('x'))
      expect([missing.code, missing.delivered]).toEqual([ErrorCode.MICROSERVICE_NOT_FOUND, false])

      const v3 = client.link<OrdersV2>('OrderService', { version: '^3', retry: 1, retryDelayMs: 10 })
      const offline = await rejectionOf(v3.listOrders())
      expect([offline.code, offline.delivered]).toEqual([ErrorCode.MICROSERVICE_OFFLINE, false])
      expect(offline.message).toContain('No provider of "OrderService" matches version ^3')
    })
  },
)

describe('@Idempotent() methods across a provider crash', () => {
  test('a delivered call of an @Idempotent method is retried on another provider after SIGKILL; with idempotent: false it is not', async () => {
    const relay = await startRelay()
    const first = await startProvider({ relayUrl: relay.url, nodeId: 'orders-a', services: ['OrdersV2'] })
    const client = await startClient(relay.url)
    const orders = client.link<OrdersV2>('OrderService', { retry: 2, retryDelayMs: 50 })
    await orders.wait({ timeout: 5000 })
    // A RemoteCall is cold: then() sends it now.
    const placed = orders.placeOrder('x', 'orders-a').then((value) => value)
    await until('the call to reach orders-a', async () => (await relay.stats()).pending === 1)
    const second = await startProvider({ relayUrl: relay.url, nodeId: 'orders-b', services: ['OrdersV2'] })
    await firstMatching(orders.watch(), 'orders-b', 5000, (nodes) => nodes.length === 2)
    first.kill('SIGKILL')
    expect(await placed).toBe('x placed by orders-b')

    const strict = client.link<OrdersV2>('OrderService', { retry: 2, retryDelayMs: 50, idempotent: false })
    const lost = rejectionOf(strict.placeOrder('y', 'orders-b'))
    await until('the call to reach orders-b', async () => (await relay.stats()).pending === 1)
    second.kill('SIGKILL')
    const err = await lost
    // Not retried: a retry would have found no provider and been refused (delivered: false).
    expect([err.code, err.delivered]).toEqual([ErrorCode.MICROSERVICE_OFFLINE, undefined])
  })
})

describe('a rolling deploy across a 3-relay NATS cluster', () => {
  test('the relay of the caller routes by the methods and versions other relays announced', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays as [(typeof relays)[0], (typeof relays)[0], (typeof relays)[0]]
    await startProvider({ relayUrl: a.url, nodeId: 'orders-old', services: ['OrdersV1'] })
    await startProvider({ relayUrl: b.url, nodeId: 'orders-new', services: ['OrdersV2'] })
    const client = await startClient(c.url)
    const orders = client.link<OrdersV2>('OrderService')
    await firstMatching(
      orders.watch(),
      'both providers, through relay C',
      8000,
      (nodes) => nodes.length === 2,
    )
    expect(orders.nodes.map((n) => n.catalog?.OrderService?.version).sort()).toEqual(['1.4.0', '2.0.0'])

    const placed = await Promise.all(Array.from({ length: 10 }, (_, i) => orders.placeOrder(`c${i}`)))
    expect(placed).toEqual(Array.from({ length: 10 }, (_, i) => `c${i} placed by orders-new`))
    const v1 = client.link<OrdersV2>('OrderService', { version: '1.x' })
    expect(await Promise.all([v1.listOrders(), v1.listOrders()])).toEqual([
      'listed by orders-old',
      'listed by orders-old',
    ])
    const directory = await relayJson<{ service_catalog: Record<string, Summary> }>(c, '/directory')
    expect(directory.service_catalog.OrderService?.differs).toBe(true)
  })
})
