import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { AsyncLocalStorage } from 'node:async_hooks'
import { Microservice } from '../api/microservice.js'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { errorOf } from '../test-support/error-of.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { type CallContext, callContext, useContextStorage } from './call-context.js'

const seen: { context?: CallContext; afterAwait?: CallContext; abort?: unknown } = {}

@Microservice({ name: 'Ctx' })
class Ctx {
  constructor(readonly downstream?: { deadline(): PromiseLike<number | undefined> }) {}
  async info() {
    seen.context = callContext()
    await new Promise((resolve) => setTimeout(resolve, 1))
    seen.afterAwait = callContext()
    return 'ok'
  }
  /** Resolves when the call's signal fires, with its reason's code (I/O that stops on cancel). */
  untilAborted() {
    const { signal } = callContext()!
    return new Promise<string>((resolve) =>
      signal.addEventListener('abort', () => {
        seen.abort = (signal.reason as MeshError).code
        resolve('aborted')
      }),
    )
  }
  deadline() {
    return callContext()?.deadline
  }
  /** Calls another service while serving this call: that call inherits the deadline. */
  async nested() {
    return { mine: callContext()?.deadline, theirs: await this.downstream!.deadline() }
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())
async function setup() {
  const bus = new InProcessTransporter()
  await pool.node(bus, 'provider').provide(new Ctx())
  return { bus, caller: pool.node(bus, 'caller') }
}

describe('callContext() with AsyncLocalStorage', () => {
  beforeAll(() => useContextStorage(new AsyncLocalStorage<CallContext>()))
  afterAll(() => useContextStorage(null))

  test('gives the caller, metadata and deadline, before and after an await; undefined outside a call', async () => {
    const { caller } = await setup()
    const ctx = RemoteServiceLinker.link<Ctx>(caller, {
      service: 'Ctx',
      meta: { tenant: 't1' },
      deadlineMs: 5000,
    })
    const before = Date.now()
    expect(await ctx.info()).toBe('ok')
    for (const context of [seen.context!, seen.afterAwait!]) {
      expect(context.callerId).toBe('caller')
      expect(context.service).toBe('Ctx')
      expect(context.method).toBe('info')
      expect(context.meta).toEqual({ tenant: 't1' })
      expect(context.deadline).toBeGreaterThanOrEqual(before + 5000)
      expect(context.deadline).toBeLessThanOrEqual(Date.now() + 5000)
    }
    expect(callContext()).toBeUndefined()
  })

  test('the signal fires on cancel, with CALL_CANCELLED', async () => {
    const { caller } = await setup()
    seen.abort = undefined
    const ctx = RemoteServiceLinker.link<Ctx>(caller, { service: 'Ctx' })
    const subscription = ctx.untilAborted().subscribe()
    await new Promise((resolve) => setTimeout(resolve, 5))
    subscription.unsubscribe()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(seen.abort).toBe(ErrorCode.CALL_CANCELLED)
  })

  test('a deadline ends the call with MICROSERVICE_RPC_TIMEOUT on both sides', async () => {
    const { caller } = await setup()
    seen.abort = undefined
    const ctx = RemoteServiceLinker.link<Ctx>(caller, { service: 'Ctx', deadlineMs: 40 })
    const started = Date.now()
    const err = await errorOf(ctx.untilAborted())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
    expect(err.message).toContain('did not finish by')
    expect(Date.now() - started).toBeLessThan(1000)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen.abort).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
  })

  test("the caller's inactivity timeout reaches the provider as the Cancel's reason: MICROSERVICE_RPC_TIMEOUT, not CALL_CANCELLED", async () => {
    // The provider knows no deadline here (timeout is the caller's own): only the reason can tell it.
    const { caller } = await setup()
    seen.abort = undefined
    const ctx = RemoteServiceLinker.link<Ctx>(caller, { service: 'Ctx', timeout: 30 })
    const err = await errorOf(ctx.untilAborted())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen.abort).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
  })

  test('a call made while serving one inherits its deadline when that is sooner', async () => {
    const bus = new InProcessTransporter()
    const downstream = pool.node(bus, 'downstream')
    await downstream.provide(new Ctx())
    const middle = pool.node(bus, 'middle')
    await middle.provide(
      new (Microservice({ name: 'Middle' })(
        class {
          readonly inner = RemoteServiceLinker.link<Ctx>(middle, { service: 'Ctx', deadlineMs: 60_000 })
          async nested() {
            return { mine: callContext()?.deadline, theirs: await this.inner.deadline() }
          }
        },
      ))(),
    )
    const caller = pool.node(bus, 'caller')
    const deadline = Date.now() + 3000
    const result = await RemoteServiceLinker.link<{ nested(): Promise<{ mine: number; theirs: number }> }>(
      caller,
      { service: 'Middle', deadline: new Date(deadline) },
    ).nested()
    expect(result.mine).toBe(deadline)
    expect(result.theirs).toBe(deadline)
  })

  test('an absolute deadline already past: the call fails without running', async () => {
    const { caller } = await setup()
    seen.context = undefined
    const ctx = RemoteServiceLinker.link<Ctx>(caller, { service: 'Ctx', deadline: Date.now() - 1 })
    const err = await errorOf(ctx.info())
    expect(err.code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
    expect(seen.context).toBeUndefined()
  })
})

describe('callContext() without storage (the synchronous fallback)', () => {
  test('answers before the first await, and not after', async () => {
    const { caller } = await setup()
    seen.context = seen.afterAwait = undefined
    await RemoteServiceLinker.link<Ctx>(caller, { service: 'Ctx', meta: { k: 'v' } }).info()
    expect((seen.context as CallContext | undefined)?.meta).toEqual({ k: 'v' })
    expect(seen.afterAwait).toBeUndefined()
  })
})

test('deadline, deadlineMs and meta are validated', () => {
  const caller = pool.node(new InProcessTransporter(), 'caller')
  const link = (options: object) => RemoteServiceLinker.link(caller, { service: 'S', ...options })
  expect(() => link({ deadline: 'tomorrow' })).toThrow(/deadline/)
  expect(() => link({ deadline: new Date(Number.NaN) })).toThrow(/deadline/)
  expect(() => link({ deadlineMs: 0 })).toThrow(/deadlineMs/)
  expect(() => link({ meta: { n: 1 } })).toThrow(/meta/)
  expect(() => link({ meta: 'x' })).toThrow(/meta/)
  expect(() => useContextStorage({} as never)).toThrow(/AsyncLocalStorage/)
})
