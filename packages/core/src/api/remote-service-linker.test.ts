import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { silentLogger } from '../mesh/logger.js'
import { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { MatrixService } from '../test-support/matrix-service.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { Microservice } from './microservice.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

let bus: InProcessTransporter
let provider: SpiderMesh
let caller: SpiderMesh

beforeEach(async () => {
  bus = new InProcessTransporter({ unsubscribeDelayMs: 10 })
  provider = new SpiderMesh({ nodeId: 'provider', logger: silentLogger }).registerTransporter(bus)
  caller = new SpiderMesh({ nodeId: 'caller', logger: silentLogger }).registerTransporter(bus)
  await provider.provide(new MatrixService())
})

afterEach(async () => {
  await caller.close()
  await provider.close()
})

async function codeOf(promise: PromiseLike<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (err) {
    return (err as MeshError).code
  }
  throw new Error('expected a rejection')
}

const anyProxy = () =>
  RemoteServiceLinker.link<Record<string, (...args: unknown[]) => Promise<unknown>>>(caller, {
    service: 'Matrix',
    timeout: 2000,
  })

describe('bad input gets a typed error, never a hang', () => {
  test('unknown service: MICROSERVICE_OFFLINE', async () => {
    const proxy = RemoteServiceLinker.link<{ x(): Promise<1> }>(caller, { service: 'Nope', timeout: 2000 })
    expect(await codeOf(proxy.x())).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
  test('unknown method: MICROSERVICE_NOT_FOUND naming the callable methods', async () => {
    const proxy = anyProxy()
    try {
      await proxy.nope!()
      throw new Error('expected a rejection')
    } catch (err) {
      expect((err as MeshError).code).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
      expect((err as MeshError).message).toContain('syncValue')
    }
  })
  for (const name of [
    'constructor',
    'toString',
    '__proto__',
    '_private',
    'warmUp',
    'hasOwnProperty',
    'valueOf',
  ]) {
    test(`"${name}" is not remotely callable`, async () => {
      const call = RemoteServiceLinker.invoke(anyProxy(), name)
      expect(await codeOf(call)).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
    })
  }
  test('too many arguments: INVALID_ARGUMENTS', async () => {
    expect(await codeOf(anyProxy().syncValue!(1, 2))).toBe(ErrorCode.INVALID_ARGUMENTS)
  })
  test('default parameters count as accepted arguments', async () => {
    expect(await anyProxy().withDefault!(1, 5)).toBe(6)
    expect(await anyProxy().withDefault!(1)).toBe(3)
  })
  test('rest parameters accept any count', async () => {
    expect(await anyProxy().echo!(1, 2, 3, 4, 5, 6, 7, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })
  test('non-serialisable arguments: INVALID_ARGUMENTS naming the culprit', async () => {
    try {
      await anyProxy().one!({ callback: () => 1 })
      throw new Error('expected a rejection')
    } catch (err) {
      expect((err as MeshError).code).toBe(ErrorCode.INVALID_ARGUMENTS)
      expect((err as MeshError).message).toContain('args[0].callback is a function')
    }
  })
  test('circular arguments: INVALID_ARGUMENTS', async () => {
    const loop: Record<string, unknown> = {}
    loop.self = loop
    expect(await codeOf(anyProxy().one!(loop))).toBe(ErrorCode.INVALID_ARGUMENTS)
  })
  test('a result that cannot be serialised: SERIALIZATION_ERROR', async () => {
    expect(await codeOf(anyProxy().unserialisable!())).toBe(ErrorCode.SERIALIZATION_ERROR)
  })
  test('a transporter registered twice: ALREADY_REGISTERED', () => {
    expect(() => caller.registerTransporter(bus)).toThrow(
      expect.objectContaining({ code: ErrorCode.ALREADY_REGISTERED }),
    )
  })
  test('something that is not a transporter: INVALID_OPTION', () => {
    expect(() => caller.registerTransporter({} as never)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })
  test('a call on a closed mesh: MESH_CLOSED', async () => {
    const mesh = new SpiderMesh({ logger: silentLogger }).registerTransporter(bus)
    await mesh.close()
    const proxy = RemoteServiceLinker.link<MatrixService>(mesh, { service: 'Matrix' })
    expect(await codeOf(proxy.syncValue(1))).toBe(ErrorCode.MESH_CLOSED)
  })
  test('a mesh without transporters: MICROSERVICE_OFFLINE', async () => {
    const mesh = new SpiderMesh({ logger: silentLogger })
    const proxy = RemoteServiceLinker.link<MatrixService>(mesh, { service: 'Matrix' })
    expect(await codeOf(proxy.syncValue(1))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    await mesh.close()
  })
  test('bad link options: INVALID_OPTION', () => {
    const bad = [
      { service: '' },
      { service: 'S', timeout: -1 },
      { service: 'S', retry: -1 },
      { service: 'S', node_id: '' },
    ]
    for (const options of bad) {
      expect(() => RemoteServiceLinker.link(caller, options as never)).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      )
    }
  })
  test('a pending call fails with MICROSERVICE_OFFLINE when its provider goes offline', async () => {
    const proxy = RemoteServiceLinker.link<MatrixService>(caller, { service: 'Matrix', timeout: 5000 })
    const pending = codeOf(proxy.slow(5000))
    await new Promise((r) => setTimeout(r, 10))
    await provider.close()
    expect(await pending).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
})

describe('the proxy itself', () => {
  test('await proxy does not hang (then is not a remote call)', async () => {
    const proxy = anyProxy()
    const awaited = await proxy
    expect(awaited).toBe(proxy)
  })
  test('symbols, toJSON and inspectors are not remote calls', () => {
    const proxy = anyProxy() as unknown as Record<string | symbol, unknown>
    expect(proxy[Symbol.iterator]).toBeUndefined()
    expect(proxy.toJSON).toBeUndefined()
    expect(proxy.constructor).toBeUndefined()
    expect(String(proxy)).toBe('[RemoteService Matrix]')
  })
  test('a remote method named like a control member is reached with invoke()', async () => {
    @Microservice({ name: 'Clash' })
    class Clash {
      wait(n: number) {
        return n + 1
      }
    }
    await provider.provide(new Clash())
    const proxy = RemoteServiceLinker.link<Clash>(caller, { service: 'Clash' })
    await proxy.wait()
    expect(await RemoteServiceLinker.invoke(proxy, 'wait', 1)).toBe(2)
  })
  test('method functions are memoised', () => {
    const proxy = anyProxy()
    expect(proxy.syncValue).toBe(proxy.syncValue)
  })
  test('wait() resolves when a provider appears, nodes and watch() follow', async () => {
    @Microservice({ name: 'Later' })
    class Later {
      ping() {
        return 'pong'
      }
    }
    const proxy = RemoteServiceLinker.link<Later>(caller, { service: 'Later' })
    const seen: number[] = []
    const sub = proxy.watch().subscribe((nodes) => seen.push(nodes.length))
    expect(proxy.nodes).toEqual([])
    setTimeout(() => void provider.provide(new Later()), 20)
    await proxy.wait({ timeout: 2000 })
    expect(proxy.nodes.map((n) => n.node_id)).toEqual(['provider'])
    expect(await proxy.ping()).toBe('pong')
    sub.unsubscribe()
    expect(seen).toEqual([0, 1])
  })
  test('wait({ timeout }) gives up with MICROSERVICE_OFFLINE', async () => {
    const proxy = RemoteServiceLinker.link<MatrixService>(caller, { service: 'Never' })
    expect(await codeOf(proxy.wait({ timeout: 20 }))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
  test('wait() rejects with MESH_CLOSED when the mesh closes', async () => {
    const mesh = new SpiderMesh({ logger: silentLogger }).registerTransporter(bus)
    const proxy = RemoteServiceLinker.link<MatrixService>(mesh, { service: 'Never' })
    const waiting = codeOf(proxy.wait())
    await mesh.close()
    expect(await waiting).toBe(ErrorCode.MESH_CLOSED)
  })
  test('round-robin spreads calls over providers', async () => {
    @Microservice({ name: 'Who' })
    class Who {
      constructor(readonly id: string) {}
      me() {
        return this.id
      }
    }
    const second = new SpiderMesh({ nodeId: 'second', logger: silentLogger }).registerTransporter(bus)
    await provider.provide(new Who('a'))
    await second.provide(new Who('b'))
    const proxy = RemoteServiceLinker.link<Who>(caller, { service: 'Who' })
    const ids = []
    for (let i = 0; i < 6; i++) ids.push(await proxy.me())
    expect(ids.sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b'])
    await second.close()
  })
})
