import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { EmptyError, lastValueFrom, take, toArray } from 'rxjs'
import { Microservice } from '../api/microservice.js'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { MatrixService } from '../test-support/matrix-service.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { silentLogger } from './logger.js'
import { SpiderMesh } from './spider-mesh.js'

let bus: InProcessTransporter
let provider: SpiderMesh
let caller: SpiderMesh
let service: MatrixService

beforeEach(async () => {
  bus = new InProcessTransporter({ unsubscribeDelayMs: 20 })
  provider = new SpiderMesh({ nodeId: 'provider', logger: silentLogger }).registerTransporter(bus)
  caller = new SpiderMesh({ nodeId: 'caller', logger: silentLogger }).registerTransporter(bus)
  service = new MatrixService()
  await provider.provide(service)
})

afterEach(async () => {
  await caller.close()
  await provider.close()
})

type Matrix = MatrixService
const link = (options: Partial<Parameters<typeof RemoteServiceLinker.link>[1]> = {}) =>
  RemoteServiceLinker.link<Matrix>(caller, { service: 'Matrix', timeout: 2000, ...options })

async function rejectionOf(promise: PromiseLike<unknown>): Promise<MeshError> {
  try {
    await promise
  } catch (err) {
    return err as MeshError
  }
  throw new Error('expected a rejection')
}

function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error('condition not met in time'))
      else setTimeout(tick, 2)
    }
    tick()
  })
}

describe('return matrix', () => {
  const cases: [string, (m: ReturnType<typeof link>) => any, unknown[]][] = [
    ['sync value', (m) => m.syncValue(2), [4]],
    ['async value', (m) => m.asyncValue(2), [6]],
    ['Observable', (m) => m.observable(3), [0, 1, 2]],
    ['async-returned Observable', (m) => m.asyncObservable(3), [0, 10, 20]],
    ['empty stream', (m) => m.empty(), []],
  ]
  for (const [name, call, values] of cases) {
    test(`${name} by subscribe`, async () => {
      expect(await lastValueFrom(call(link()).pipe(toArray()))).toEqual(values)
    })
    test(`${name} by await`, async () => {
      // An empty stream rejects an await with EmptyError (as firstValueFrom and the upstream contract do).
      if (values.length === 0) expect(await rejectionOf(call(link()))).toBeInstanceOf(EmptyError)
      else expect(await call(link())).toEqual(values[0])
    })
  }

  const errors: [string, (m: ReturnType<typeof link>) => any, string][] = [
    ['sync throw', (m) => m.syncThrow(), 'sync boom'],
    ['rejection', (m) => m.rejection(), 'async boom'],
    ['Observable error before values', (m) => m.errorBeforeValues(), 'stream boom'],
  ]
  for (const [name, call, message] of errors) {
    test(`${name} by subscribe`, async () => {
      const err = await rejectionOf(lastValueFrom(call(link())))
      expect(err).toBeInstanceOf(MeshError)
      expect(err.message).toBe(message)
    })
    test(`${name} by await`, async () => {
      expect((await rejectionOf(call(link()))).message).toBe(message)
    })
  }

  test('Observable error after values by subscribe: values, then the error', async () => {
    const seen: unknown[] = []
    const err = await new Promise<MeshError>((resolve) =>
      link()
        .errorAfterValues()
        .subscribe({ next: (v) => seen.push(v), error: resolve }),
    )
    expect(seen).toEqual([1, 2])
    expect(err.code).toBe('LATE')
    expect(err.message).toBe('late boom')
  })

  test('Observable error after values by await: the first value', async () => {
    expect(await link().errorAfterValues()).toBe(1)
  })
})

describe('error kinds keep code and message', () => {
  test('plain Error: message, no code field', async () => {
    const err = await rejectionOf(link().syncThrow())
    expect(err.message).toBe('sync boom')
    expect('code' in err).toBe(false)
  })
  test('{ code, message } object', async () => {
    const err = await rejectionOf(link().throwCodeObject())
    expect([err.code, err.message]).toEqual(['E_OBJ', 'object thrown'])
  })
  test('thrown string', async () => {
    const err = await rejectionOf(link().throwString())
    expect(err.message).toBe('plain string')
    expect('code' in err).toBe(false)
  })
  test('Error with code', async () => {
    const err = await rejectionOf(link().throwWithCode())
    expect([err.code, err.message]).toEqual(['E_CODED', 'coded'])
  })
  test('Error subclass keeps code, message and name', async () => {
    const err = await rejectionOf(link().throwSubclass())
    expect([err.code, err.message, err.name]).toEqual(['VALIDATION_FAILED', 'bad input', 'ValidationError'])
  })
  test('thrown number becomes a message', async () => {
    expect((await rejectionOf(link().throwNumber())).message).toBe('42')
  })
})

describe('data fidelity', () => {
  test('null, undefined, no args and many args', async () => {
    expect(await link().one(null)).toBeNull()
    expect(await link().one(undefined)).toBeUndefined()
    expect(await link().noArgs()).toBe('none')
    expect(await link().echo(1, 'two', [3], { four: 4 }, null, undefined, true)).toEqual([
      1,
      'two',
      [3],
      { four: 4 },
      null,
      undefined,
      true,
    ])
  })
  test('nested objects, unicode, Date, Uint8Array, Map, Set, BigInt', async () => {
    const value = {
      nested: { deep: { list: [1, { x: 'y' }] } },
      unicode: 'héllo 🕷️ 世界',
      date: new Date('2026-11-22T10:00:00.123Z'),
      bytes: new Uint8Array([0, 1, 254, 255]),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: undefined }],
      ]),
      set: new Set([1, 'x']),
      big: 12345678901234567890n,
    }
    const back = (await link().one(value)) as typeof value
    expect(back).toEqual(value)
    expect(back.date).toBeInstanceOf(Date)
    expect(back.bytes).toBeInstanceOf(Uint8Array)
    expect(back.map).toBeInstanceOf(Map)
    expect(back.set).toBeInstanceOf(Set)
  })
  test('a 1 MB payload round-trips intact', async () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251)
    const back = (await link().one(big)) as Uint8Array
    expect(back.byteLength).toBe(big.byteLength)
    expect(Buffer.compare(back, big)).toBe(0)
  })
  test('a 500-value stream arrives complete and in order', async () => {
    const values = await lastValueFrom(link().ordered(500).pipe(toArray()))
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i))
  })
})

describe('cancellation reaches the provider', () => {
  test('take(n) on an endless stream', async () => {
    expect(await lastValueFrom(link().endless().pipe(take(3), toArray()))).toEqual([0, 1, 2])
    await until(() => service.stopped === 1)
  })
  test('await on a stream takes the first value and cancels the rest', async () => {
    expect(await link().endless()).toBe(0)
    await until(() => service.stopped === 1)
  })
  test('unsubscribe in the same tick as the call', async () => {
    link().endless().subscribe().unsubscribe()
    await until(() => service.started === 1 && service.stopped === 1)
  })
  test('nothing is left in flight after a cancelled call', async () => {
    await lastValueFrom(link().endless().pipe(take(2)))
    await until(() => bus.inFlight === 0 && caller.pendingCalls === 0)
  })
})

describe('call policies', () => {
  test('timeout fails with MICROSERVICE_RPC_TIMEOUT', async () => {
    const err = await rejectionOf(link({ timeout: 30 }).slow(1000))
    expect(err.code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
    expect(err.message).toContain('Matrix.slow')
  })
  test('timeout is an inactivity window: a stream with steady values outlives it', async () => {
    const values = await lastValueFrom(link({ timeout: 50 }).endless().pipe(take(20), toArray()))
    expect(values.length).toBe(20)
  })
  test('retry re-sends MICROSERVICE_OFFLINE the configured number of times', async () => {
    let attempts = 0
    const counting = new InProcessTransporter()
    const lonely = new SpiderMesh({ logger: silentLogger })
    const original = counting.attach.bind(counting)
    counting.attach = (host) => {
      const l = original(host)
      const send = l.send.bind(l)
      l.send = (packet) => {
        if (packet.type === 'request') attempts++
        return send(packet)
      }
      return l
    }
    lonely.registerTransporter(counting)
    const proxy = RemoteServiceLinker.link<Matrix>(lonely, {
      service: 'Nobody',
      retry: { count: 3, delayMs: 5 },
    })
    const err = await rejectionOf(proxy.syncValue(1))
    expect(err.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    expect(attempts).toBe(4)
    await lonely.close()
  })
  test('retry succeeds once a provider appears', async () => {
    const proxy = RemoteServiceLinker.link<Matrix>(caller, {
      service: 'Late',
      retry: { count: 20, delayMs: 10 },
    })
    const result = proxy.syncValue(5)
    const late = new SpiderMesh({ logger: silentLogger }).registerTransporter(bus)
    @Microservice({ name: 'Late' })
    class LateService {
      syncValue(n: number) {
        return n + 1
      }
    }
    setTimeout(() => void late.provide(new LateService()), 30)
    expect(await result).toBe(6)
    await late.close()
  })
  test('fallback null replaces an error', async () => {
    expect(await link({ fallback: null }).syncThrow()).toBeNull()
  })
  test('fallback 0 replaces an offline error', async () => {
    const proxy = RemoteServiceLinker.link<Matrix>(caller, { service: 'Nobody', fallback: 0 })
    expect(await proxy.syncValue(1)).toBe(0)
  })
  test('node_id pins calls to one node', async () => {
    const second = new SpiderMesh({ nodeId: 'second', logger: silentLogger }).registerTransporter(bus)
    const other = new MatrixService()
    await second.provide(other)
    const pinned = link({ node_id: 'second' })
    for (let i = 0; i < 4; i++) await pinned.syncValue(i)
    expect(pinned.nodes.map((n) => n.node_id)).toEqual(['second'])
    await second.close()
    const err = await rejectionOf(pinned.syncValue(1))
    expect(err.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
  test('set() changes options for later calls', async () => {
    const proxy = link()
    proxy.set({ fallback: 'fb' })
    expect((await proxy.syncThrow()) as unknown).toBe('fb')
  })
})

describe('node metadata', () => {
  test('meta is an object of string values, checked when the mesh is made', () => {
    expect(() => new SpiderMesh({ meta: { n: 1 } as never })).toThrow(
      /meta must be an object of at most 32 string values/,
    )
    expect(() => new SpiderMesh({ meta: 'x' as never })).toThrow(MeshError)
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))
    expect(() => new SpiderMesh({ meta: many })).toThrow(/at most 32/)
  })
})
