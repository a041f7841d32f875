import { afterEach, describe, expect, test } from 'bun:test'
import { lastValueFrom, of, toArray } from 'rxjs'
import { Microservice } from '../api/microservice.js'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { callContext } from './call-context.js'
import type { InterceptedCall } from './interceptors.js'
import { SpiderMesh } from './spider-mesh.js'

@Microservice({ name: 'Ledger' })
class Ledger {
  runs = 0
  balance(account: string) {
    this.runs++
    return { account, cents: 1000 }
  }
  moves() {
    return of(1, 2, 3)
  }
  fail() {
    throw new Error('ledger locked')
  }
  meta() {
    return callContext()?.meta
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())

async function setup(configure: (provider: SpiderMesh) => void) {
  const bus = new InProcessTransporter()
  const provider = pool.add(new SpiderMesh({ nodeId: 'provider' }).registerTransporter(bus))
  configure(provider)
  const ledger = new Ledger()
  await provider.provide(ledger)
  const caller = pool.node(bus, 'caller')
  return { ledger, caller, proxy: RemoteServiceLinker.link<Ledger>(caller, { service: 'Ledger' }) }
}

describe('provider interceptors', () => {
  test('before may deny with a typed error; the method does not run', async () => {
    const seen: InterceptedCall[] = []
    const { ledger, proxy } = await setup((mesh) =>
      mesh.intercept({
        async before(call) {
          seen.push(call)
          await new Promise((resolve) => setTimeout(resolve, 1))
          if (call.args[0] === 'secret') throw new MeshError(ErrorCode.ACCESS_DENIED, 'not your account')
        },
      }),
    )
    const err = await Promise.resolve(proxy.balance('secret')).catch((e: MeshError) => e)
    expect([(err as MeshError).code, (err as MeshError).message]).toEqual([
      ErrorCode.ACCESS_DENIED,
      'not your account',
    ])
    expect(ledger.runs).toBe(0)
    expect(await proxy.balance('mine')).toEqual({ account: 'mine', cents: 1000 })
    expect(seen.map((c) => [c.service, c.method, c.args[0], c.context.callerId])).toEqual([
      ['Ledger', 'balance', 'secret', 'caller'],
      ['Ledger', 'balance', 'mine', 'caller'],
    ])
  })

  test('after changes each value (results and stream values); error replaces the error; end runs once', async () => {
    const ended: string[] = []
    const { proxy } = await setup((mesh) =>
      mesh.intercept({
        after: (call, value) => (call.method === 'moves' ? (value as number) * 10 : value),
        error: () => new MeshError(ErrorCode.OVERLOADED, 'try later'),
        end: (call) => void ended.push(call.method),
      }),
    )
    expect(await lastValueFrom(proxy.moves().pipe(toArray()))).toEqual([10, 20, 30])
    const err = await Promise.resolve(proxy.fail()).catch((e: MeshError) => e)
    // A replaced error is still the provider's: a mesh code arrives namespaced.
    expect((err as MeshError).code).toBe('REMOTE_OVERLOADED')
    expect(ended).toEqual(['moves', 'fail'])
  })

  test('state carries from before to end (e.g. a span)', async () => {
    const durations: number[] = []
    const { proxy } = await setup((mesh) =>
      mesh.intercept({
        before: (call) => void call.state.set('start', performance.now()),
        end: (call) => void durations.push(performance.now() - (call.state.get('start') as number)),
      }),
    )
    await proxy.balance('a')
    expect(durations).toHaveLength(1)
    expect(durations[0]).toBeGreaterThanOrEqual(0)
  })

  test('a non-object interceptor is INVALID_OPTION', () => {
    const mesh = pool.add(new SpiderMesh())
    expect(() => mesh.intercept({ before: 'x' } as never)).toThrow(/intercept/)
    expect(() => mesh.interceptCalls(null as never)).toThrow(/interceptCalls/)
  })
})

describe('caller interceptors', () => {
  test('the mesh and the link add metadata to every call, over the link meta', async () => {
    const { caller } = await setup(() => {})
    caller.interceptCalls({ meta: (call) => ({ tenant: 'acme', method: call.method }) })
    const proxy = RemoteServiceLinker.link<Ledger>(caller, {
      service: 'Ledger',
      meta: { tenant: 'default', region: 'eu' },
      interceptors: [{ meta: () => ({ trace: 't-1' }) }],
    })
    expect(await proxy.meta()).toEqual({ tenant: 'acme', region: 'eu', method: 'meta', trace: 't-1' })
  })

  test('an interceptor that throws rejects the awaited call with its error; nothing is sent', async () => {
    const { caller, ledger } = await setup(() => {})
    caller.interceptCalls({
      meta: () => {
        throw new Error('no tenant')
      },
    })
    const proxy = RemoteServiceLinker.link<Ledger>(caller, { service: 'Ledger' })
    const call = proxy.balance('a')
    await expect(call.then()).rejects.toThrow('no tenant')
    // The same call awaited again shares its outcome; the method never ran.
    await expect(call.then()).rejects.toThrow('no tenant')
    expect(ledger.runs).toBe(0)
  })
})
