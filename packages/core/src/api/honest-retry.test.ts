import { afterEach, expect, test } from 'bun:test'
import { silentLogger } from '../mesh/logger.js'
import { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { errorOf } from '../test-support/error-of.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { Microservice } from './microservice.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

/** Counts its runs; fails the way each test needs. */
@Microservice({ name: 'Orders' })
class Orders {
  runs = 0
  constructor(readonly onRun: (self: Orders) => Promise<string>) {}
  place() {
    this.runs++
    return this.onRun(this)
  }
  get() {
    this.runs++
    return this.onRun(this)
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())
const node = (bus: InProcessTransporter, nodeId: string) => pool.node(bus, nodeId)

test('an application error with a mesh code arrives namespaced and is never retried', async () => {
  const bus = new InProcessTransporter()
  const orders = new Orders(async () => {
    throw Object.assign(new Error('the warehouse is offline'), { code: ErrorCode.MICROSERVICE_OFFLINE })
  })
  await node(bus, 'provider').provide(orders)
  const proxy = RemoteServiceLinker.link<Orders>(node(bus, 'caller'), {
    service: 'Orders',
    retry: 3,
    retryDelayMs: 1,
  })
  const err = await errorOf(proxy.place())
  expect(err.code).toBe('REMOTE_MICROSERVICE_OFFLINE')
  expect(err.message).toBe('the warehouse is offline')
  expect(err.delivered).toBeUndefined()
  expect(orders.runs).toBe(1)
})

test('a call that reached no provider is marked delivered: false and retried', async () => {
  const bus = new InProcessTransporter()
  const caller = node(bus, 'caller')
  const proxy = RemoteServiceLinker.link<Orders>(caller, { service: 'Orders' })
  const refused = await errorOf(proxy.place())
  expect([refused.code, refused.delivered]).toEqual([ErrorCode.MICROSERVICE_OFFLINE, false])

  const retrying = RemoteServiceLinker.link<Orders>(caller, { service: 'Orders', retry: 5, retryDelayMs: 20 })
  const orders = new Orders(async () => 'placed')
  const answer = retrying.place()
  setTimeout(() => void node(bus, 'late-provider').provide(orders), 30)
  expect(await answer).toBe('placed')
  expect(orders.runs).toBe(1)
})

test('a call whose provider was lost mid-call is retried only for a method declared idempotent', async () => {
  const bus = new InProcessTransporter()
  const dying = node(bus, 'dying')
  let release: (() => void) | undefined
  // The first provider takes the call and is closed while it runs; the second answers.
  const first = new Orders(
    (self) =>
      new Promise((resolve) => {
        release = () => resolve(`never ${self.runs}`)
        void dying.close({ drainTimeoutMs: 0 })
      }),
  )
  await dying.provide(first)
  const caller = node(bus, 'caller')
  const plain = RemoteServiceLinker.link<Orders>(caller, { service: 'Orders', retry: 2, retryDelayMs: 1 })
  const lost = await errorOf(plain.place())
  expect(lost.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  expect(lost.delivered).toBeUndefined()
  release?.()

  const second = new Orders(async () => 'from the second')
  const dying2 = node(bus, 'dying-2')
  await dying2.provide(
    new Orders(
      () =>
        new Promise(() => {
          void dying2.close({ drainTimeoutMs: 0 })
        }),
    ),
  )
  const idempotent = RemoteServiceLinker.link<Orders>(caller, {
    service: 'Orders',
    retry: 2,
    retryDelayMs: 5,
    idempotent: ['get'],
  })
  const answer = idempotent.get()
  setTimeout(() => void node(bus, 'second').provide(second), 1)
  expect(await answer).toBe('from the second')
  expect(second.runs).toBe(1)
})

test('idempotent is validated', () => {
  const mesh = new SpiderMesh({ logger: silentLogger })
  pool.add(mesh)
  expect(() => RemoteServiceLinker.link(mesh, { service: 'S', idempotent: 'yes' as never })).toThrow(
    /idempotent/,
  )
})
