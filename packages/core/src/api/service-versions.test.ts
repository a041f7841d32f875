import { afterEach, describe, expect, test } from 'bun:test'
import { firstValueFrom } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import { decodeFrame, encodeFrame, FrameType } from '../protocol/frames.js'
import { errorOf } from '../test-support/error-of.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { Idempotent } from './idempotent.js'
import { Microservice } from './microservice.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

/** Two builds of one service, as during a rolling deploy: v2 added placeOrder. */
@Microservice({ name: 'OrderService', version: '1.4.0' })
class OrderServiceV1 {
  async listOrders() {
    return 'v1'
  }
}

@Microservice({ name: 'OrderService', version: '2.0.1' })
class OrderServiceV2 {
  async listOrders() {
    return 'v2'
  }
  @Idempotent()
  async placeOrder(item: string) {
    return `placed ${item}`
  }
}

type Orders = OrderServiceV2

const pool = new MeshPool()
afterEach(() => pool.closeAll())

async function rollingDeploy() {
  const bus = new InProcessTransporter()
  await pool.node(bus, 'old').provide(new OrderServiceV1())
  await pool.node(bus, 'new').provide(new OrderServiceV2())
  return { bus, caller: pool.node(bus, 'caller') }
}

describe('providers announce their methods and version', () => {
  test('the catalog lists methods, version and @Idempotent methods per service', async () => {
    const { caller } = await rollingDeploy()
    const nodes = caller.listNodes('OrderService')
    const byId = Object.fromEntries(nodes.map((n) => [n.node_id, n.catalog?.OrderService]))
    expect(byId.old).toEqual({ methods: ['listOrders'], version: '1.4.0' })
    expect(byId.new).toEqual({
      methods: ['listOrders', 'placeOrder'],
      version: '2.0.1',
      idempotent: ['placeOrder'],
    })
  })

  test('a call goes only to providers that have its method: every placeOrder succeeds', async () => {
    const { caller } = await rollingDeploy()
    const orders = RemoteServiceLinker.link<Orders>(caller, { service: 'OrderService' })
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => orders.placeOrder(`#${i}`)))
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => `placed #${i}`))
    // Methods both have still go round-robin over both.
    const lists = await Promise.all(Array.from({ length: 4 }, () => orders.listOrders()))
    expect(lists.sort()).toEqual(['v1', 'v1', 'v2', 'v2'])
  })

  test('a method no provider has fails with MICROSERVICE_NOT_FOUND naming who has what', async () => {
    const { caller } = await rollingDeploy()
    const orders = RemoteServiceLinker.link<{ cancelOrder(): Promise<void> }>(caller, {
      service: 'OrderService',
    })
    const err = await errorOf(orders.cancelOrder())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
    expect(err.delivered).toBe(false)
    expect(err.message).toContain('"OrderService" has no method "cancelOrder"')
    expect(err.message).toContain('new (v2.0.1: listOrders, placeOrder)')
  })
})

describe('link({ version }) restricts routing to a semver range', () => {
  test('calls, nodes and wait() see only providers in the range', async () => {
    const { caller } = await rollingDeploy()
    const v1 = RemoteServiceLinker.link<Orders>(caller, { service: 'OrderService', version: '^1.2' })
    expect(v1.nodes.map((n) => n.node_id)).toEqual(['old'])
    const answers = await Promise.all(Array.from({ length: 4 }, () => v1.listOrders()))
    expect(answers).toEqual(['v1', 'v1', 'v1', 'v1'])
    const v2 = RemoteServiceLinker.link<Orders>(caller, { service: 'OrderService', version: '>=2' })
    await v2.wait({ timeout: 100 })
    expect(await firstValueFrom(v2.watch())).toHaveLength(1)
    expect(await v2.listOrders()).toBe('v2')
  })

  test('no provider in the range: MICROSERVICE_OFFLINE (never delivered) listing the versions running', async () => {
    const { caller } = await rollingDeploy()
    const v3 = RemoteServiceLinker.link<Orders>(caller, { service: 'OrderService', version: '^3' })
    const err = await errorOf(v3.listOrders())
    expect([err.code, err.delivered]).toEqual([ErrorCode.MICROSERVICE_OFFLINE, false])
    expect(err.message).toContain('matches version ^3')
    expect(err.message).toContain('old (v1.4.0)')
    const waited = await errorOf(v3.wait({ timeout: 20 }))
    expect(waited.message).toContain('No provider of OrderService at version ^3 appeared within 20 ms')
  })

  test('a pinned call outside the range is refused before it reaches the node', async () => {
    const { caller } = await rollingDeploy()
    const pinned = RemoteServiceLinker.link<Orders>(caller, {
      service: 'OrderService',
      version: '^2',
      node_id: 'old',
    })
    const err = await errorOf(pinned.listOrders())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })

  test('fan-out calls only the providers in the range', async () => {
    const { caller } = await rollingDeploy()
    const v2 = RemoteServiceLinker.link<Orders>(caller, { service: 'OrderService', version: '2.x' })
    const results: unknown[] = []
    await new Promise<void>((resolve, reject) =>
      RemoteServiceLinker.all(v2)
        .listOrders()
        .subscribe({ next: (r) => results.push(r), complete: resolve, error: reject }),
    )
    expect(results).toEqual([{ node_id: 'new', value: 'v2' }])
  })

  test('bad versions and ranges are INVALID_OPTION', () => {
    const caller = pool.node(new InProcessTransporter(), 'caller')
    expect(() => RemoteServiceLinker.link(caller, { service: 'S', version: 'two' })).toThrow(/semver range/)
    expect(() => RemoteServiceLinker.link(caller, { service: 'S', version: '' })).toThrow(/semver range/)
    expect(() => RemoteServiceLinker.link(caller, { service: 'S', version: 2 as never })).toThrow(
      /semver range/,
    )
    expect(() => Microservice({ version: '^2' })(class Bad {})).toThrow(/semver version/)
    expect(() => Microservice({ version: 'latest' })(class Bad {})).toThrow(/semver version/)
  })
})

describe('@Idempotent()', () => {
  test('a delivered call of an @Idempotent method is retried when its provider is lost; others are not', async () => {
    @Microservice({ name: 'Stock' })
    class Stock {
      constructor(readonly answer: () => Promise<string>) {}
      @Idempotent()
      level() {
        return this.answer()
      }
      take() {
        return this.answer()
      }
    }
    const bus = new InProcessTransporter()
    const dying = pool.node(bus, 'dying')
    let runs = 0
    await dying.provide(
      new Stock(() => {
        runs++
        void dying.close({ drainTimeoutMs: 0 })
        return new Promise(() => {})
      }),
    )
    const caller = pool.node(bus, 'caller')
    const stock = RemoteServiceLinker.link<Stock>(caller, { service: 'Stock', retry: 2, retryDelayMs: 5 })
    const answer = stock.level()
    setTimeout(() => void pool.node(bus, 'healthy').provide(new Stock(async () => 'level 3')), 1)
    expect(await answer).toBe('level 3')
    expect(runs).toBe(1)

    const dying2 = pool.node(bus, 'dying-2')
    await dying2.provide(
      new Stock(() => {
        void dying2.close({ drainTimeoutMs: 0 })
        return new Promise(() => {})
      }),
    )
    // take() is not idempotent: once it reached a provider that was lost, it is not rerun.
    const pinned = RemoteServiceLinker.link<Stock>(caller, { service: 'Stock', retry: 2, node_id: 'dying-2' })
    const err = await errorOf(pinned.take())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    expect(err.delivered).toBeUndefined()
  })

  test('on anything but a method it is INVALID_OPTION', () => {
    expect(() => (Idempotent() as (t: unknown, k?: unknown, d?: unknown) => void)(class X {})).toThrow(
      /goes on a method/,
    )
  })

  test('works as a standard (TC39) decorator too', () => {
    const fn = async () => 1
    expect(() =>
      (Idempotent() as (t: unknown, c: unknown) => void)(fn, { kind: 'method', name: 'x' }),
    ).not.toThrow()
  })
})

describe('frames carry the catalog and the version range', () => {
  const catalog = { S: { methods: ['a'], version: '1.0.0' } }
  test('Hello (8th field), Services, Node, Welcome entries and Request (7th) round-trip', () => {
    const frames = [
      [FrameType.Hello, 1, 'n', ['S'], [], {}, ['*'], catalog],
      [FrameType.Hello, 1, 'n', ['S'], [], {}, null, catalog],
      [FrameType.Services, ['S'], catalog],
      [FrameType.Node, 'n', ['S'], catalog],
      [
        FrameType.Welcome,
        1,
        'n',
        [
          ['m', ['S'], catalog],
          ['o', ['T']],
        ],
        1000,
      ],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), { version: '^1' }],
      [
        FrameType.Request,
        1,
        'S',
        'a',
        null,
        new Uint8Array([1]),
        { deadline: 5, meta: { t: 'x' }, window: 8 },
      ],
    ] as const
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame as never))).toEqual(frame as never)
  })

  test('malformed catalogs and ranges are protocol errors', () => {
    const bad = [
      [FrameType.Services, ['S'], { S: { methods: 'a' } }],
      [FrameType.Services, ['S'], { S: { methods: ['a'], version: 3 } }],
      [FrameType.Services, ['S'], ['not', 'a', 'map']],
      [FrameType.Node, 'n', ['S'], { S: null }],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), '^1'],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), { version: 'x'.repeat(300) }],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), { window: 0 }],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), { meta: { n: 1 } }],
      [FrameType.Request, 1, 'S', 'a', null, new Uint8Array([1]), { deadline: 'soon' }],
      [FrameType.Hello, 1, 'n', ['S'], [], {}, ['*'], catalog, 'extra'],
      [FrameType.Hello, 1, 'n', ['S'], [], {}, null],
    ]
    for (const frame of bad) expect(() => decodeFrame(encodeFrame(frame as never))).toThrow(/Malformed frame/)
  })
})
