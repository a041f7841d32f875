import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type MeshError, Microservice, type RemoteService, registerErrorClass } from '@spider-mesh/core'
import { EmptyError, lastValueFrom, take, toArray } from 'rxjs'
import { type Matrix, OrderNotFoundError } from './fixtures/services.js'
import {
  ADAPTERS,
  type ManagedProcess,
  type RelayProcess,
  rejectionOf,
  releaseSuite,
  startClient,
  startProvider,
  startRelay,
  type TestClient,
  until,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

@Microservice({ name: 'ClientSide' })
class ClientSide {
  greet(from: string) {
    return `hi ${from}, this is the client`
  }
}

for (const adapter of ADAPTERS) {
  describe(`RPC through a ${adapter} relay`, () => {
    let relay: RelayProcess
    let provider: ManagedProcess
    let client: TestClient
    let matrix: RemoteService<Matrix>

    beforeAll(async () => {
      relay = await startRelay({ adapter })
      provider = await startProvider({ relayUrl: relay.url, nodeId: `rpc-provider-${adapter}` })
      client = await startClient(relay.url)
      matrix = client.link<Matrix>('Matrix', { timeout: 5000 })
      await matrix.wait({ timeout: 5000 })
    })
    afterAll(releaseSuite)

    test('a call goes through the relay to a provider process and back', async () => {
      expect(await matrix.whoami()).toBe(`rpc-provider-${adapter}`)
      expect(await matrix.syncValue(21)).toBe(42)
    })

    test('reverse RPC: the server calls a service the client process provides', async () => {
      await client.mesh.provide(new ClientSide())
      // The provider links to ClientSide pinned to this node and must see it in discovery first.
      expect(await matrix.askClient(client.mesh.nodeId, 'server')).toBe(
        'client said: hi server, this is the client',
      )
    })

    describe('the return matrix', () => {
      const values: [string, (m: RemoteService<Matrix>) => any, unknown[]][] = [
        ['sync value', (m) => m.syncValue(2), [4]],
        ['async value', (m) => m.asyncValue(2), [6]],
        ['Observable', (m) => m.observable(3), [0, 1, 2]],
        ['async-returned Observable', (m) => m.asyncObservable(3), [0, 10, 20]],
        ['empty stream', (m) => m.empty(), []],
      ]
      for (const [name, call, expected] of values) {
        test(`${name}: subscribe receives every value, then completion`, async () => {
          expect(await lastValueFrom(call(matrix).pipe(toArray()))).toEqual(expected)
        })
        test(`${name}: await gives the first value${expected.length === 0 ? ' (rejects with EmptyError when empty)' : ''}`, async () => {
          if (expected.length === 0) expect(await rejectionOf(call(matrix))).toBeInstanceOf(EmptyError)
          else expect(await call(matrix)).toEqual(expected[0])
        })
      }

      const errors: [string, (m: RemoteService<Matrix>) => any, string][] = [
        ['sync throw', (m) => m.syncThrow(), 'sync boom'],
        ['rejection', (m) => m.rejection(), 'async boom'],
        ['Observable error before values', (m) => m.errorBeforeValues(), 'stream boom'],
      ]
      for (const [name, call, message] of errors) {
        test(`${name}: subscribe gets the error`, async () => {
          const err = await rejectionOf(lastValueFrom(call(matrix)))
          expect(err.message).toBe(message)
        })
        test(`${name}: await rejects with the error`, async () => {
          expect((await rejectionOf(call(matrix))).message).toBe(message)
        })
      }

      test('Observable error after values: subscribe gets the values, then the error', async () => {
        const seen: unknown[] = []
        const err = await new Promise<{ code?: string; message: string }>((resolve, reject) =>
          matrix.errorAfterValues().subscribe({
            next: (v) => seen.push(v),
            error: resolve,
            complete: () => reject(new Error('completed')),
          }),
        )
        expect(seen).toEqual([1, 2])
        expect([err.code, err.message]).toEqual(['LATE', 'late boom'])
      })

      test('Observable error after values: await gives the first value', async () => {
        expect(await matrix.errorAfterValues()).toBe(1)
      })

      test('an unknown method fails with MICROSERVICE_NOT_FOUND', async () => {
        const err = await rejectionOf((matrix as any).noSuchMethod())
        expect(err.code).toBe('MICROSERVICE_NOT_FOUND')
      })
    })

    describe('error kinds keep code and message', () => {
      test('plain Error: message, no code', async () => {
        const err = await rejectionOf(matrix.syncThrow())
        expect(err.message).toBe('sync boom')
        expect(err.code).toBeUndefined()
      })
      test('{ code, message } object', async () => {
        const err = await rejectionOf(matrix.throwCodeObject())
        expect([err.code, err.message]).toEqual(['E_OBJ', 'object thrown'])
      })
      test('thrown string becomes the message', async () => {
        const err = await rejectionOf(matrix.throwString())
        expect(err.message).toBe('plain string')
        expect(err.code).toBeUndefined()
      })
      test('Error with a code property', async () => {
        const err = await rejectionOf(matrix.throwWithCode())
        expect([err.code, err.message]).toEqual(['E_CODED', 'coded'])
      })
      test('an error keeps its own fields and its cause; a registered class arrives as itself', async () => {
        const plain = (await rejectionOf(matrix.throwWithFields('o-1'))) as MeshError & { orderId?: string }
        expect([plain.code, plain.message, plain.name, plain.orderId]).toEqual([
          'ORDER_NOT_FOUND',
          'No order o-1',
          'OrderNotFoundError',
          'o-1',
        ])
        expect((plain.cause as Error).message).toBe('the orders table has no such row')
        registerErrorClass(OrderNotFoundError)
        const rebuilt = await rejectionOf(matrix.throwWithFields('o-2'))
        expect(rebuilt).toBeInstanceOf(OrderNotFoundError)
        expect((rebuilt as unknown as OrderNotFoundError).orderId).toBe('o-2')
      })
      test('a result that cannot be serialised: SERIALIZATION_ERROR naming the path, logged on the provider too', async () => {
        const from = provider.lines.length
        const err = await rejectionOf(matrix.unserialisable())
        expect(err.code).toBe('SERIALIZATION_ERROR')
        expect(err.message).toContain(
          'Matrix.unserialisable produced a value that cannot be serialised: result.items[1] is a function',
        )
        await until('the provider to log it', () =>
          provider.lines
            .slice(from)
            .some((l) => l.stream === 'stderr' && l.text.includes('result.items[1] is a function')),
        )
      })
      test('an application error with a mesh code arrives as REMOTE_<code> and a retry never reruns it', async () => {
        const retrying = client.link<Matrix>('Matrix', { retry: 3, retryDelayMs: 10 })
        const before = await matrix.lies()
        const err = await rejectionOf(retrying.offlineLie())
        expect([err.code, err.message]).toEqual(['REMOTE_MICROSERVICE_OFFLINE', 'pretending to be offline'])
        expect(await matrix.lies()).toBe(before + 1)
        // A call the relay could not deliver says so, and that one may be retried.
        const refused = (await rejectionOf(client.link<Matrix>('Nobody').whoami())) as MeshError
        expect([refused.code, refused.delivered]).toEqual(['MICROSERVICE_OFFLINE', false])
      })
      test('Error subclass keeps its code, message and name', async () => {
        const err = (await rejectionOf(matrix.throwSubclass())) as Error & { code?: string }
        expect([err.code, err.message, err.name]).toEqual([
          'VALIDATION_FAILED',
          'bad input',
          'ValidationError',
        ])
      })
    })

    describe('data fidelity', () => {
      test('null, undefined, no args and many args arrive as sent', async () => {
        expect(await matrix.one(null)).toBeNull()
        expect(await matrix.one(undefined)).toBeUndefined()
        expect(await matrix.noArgs()).toBe('none (0 args)')
        const many = Array.from({ length: 20 }, (_, i) => (i % 2 ? `s${i}` : i))
        expect(await matrix.echo(...many)).toEqual(many)
        expect(await matrix.echo(1, undefined, null, 'x')).toEqual([1, undefined, null, 'x'])
      })

      test('nested objects, unicode, Date, Uint8Array and Map keep their types', async () => {
        const value = {
          nested: { deep: { list: [1, { a: 'b' }, [true, false]] } },
          unicode: 'héllo ✓ 世界 🕷️',
          date: new Date('2024-02-29T12:34:56.789Z'),
          bytes: new Uint8Array([0, 1, 254, 255]),
          map: new Map<unknown, unknown>([
            ['k', 1],
            [2, { v: 'two' }],
          ]),
        }
        const back = (await matrix.one(value)) as typeof value
        expect(back).toEqual(value)
        expect(back.date).toBeInstanceOf(Date)
        expect(back.bytes).toBeInstanceOf(Uint8Array)
        expect(back.map).toBeInstanceOf(Map)
        expect(await matrix.describe([value.date, value.bytes, value.map, null])).toEqual([
          'Date',
          'Uint8Array',
          'Map',
          'null',
        ])
      })

      test('a 1 MB payload round-trips intact', async () => {
        const big = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7) % 256)
        const back = (await matrix.one(big)) as Uint8Array
        expect(back.byteLength).toBe(big.byteLength)
        expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0)
        const text = 'x'.repeat(1024 * 1024)
        expect(await matrix.one(text)).toBe(text)
        const made = (await matrix.bytes(1024 * 1024)) as Uint8Array
        expect(made.byteLength).toBe(1024 * 1024)
        expect(made[1000]).toBe(1000 % 251)
      })

      test('a 500-value stream arrives complete and in order', async () => {
        const values = await lastValueFrom(matrix.ordered(500).pipe(toArray()))
        expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i))
      })
    })

    describe('cancellation reaches the provider', () => {
      test('take(n) on an endless stream stops it at the provider', async () => {
        const from = provider.mark()
        expect(await lastValueFrom(matrix.endless(`take-${adapter}`).pipe(take(3), toArray()))).toEqual([
          0, 1, 2,
        ])
        await provider.waitForLine(new RegExp(`^STOPPED take-${adapter}$`), { from, timeoutMs: 3000 })
      })

      test('await on a stream takes the first value and stops the stream', async () => {
        const from = provider.mark()
        expect(await matrix.endless(`await-${adapter}`)).toBe(0)
        await provider.waitForLine(new RegExp(`^STOPPED await-${adapter}$`), { from, timeoutMs: 3000 })
      })

      test('unsubscribing in the same tick as the call leaves nothing running', async () => {
        const tag = `same-tick-${adapter}`
        const from = provider.mark()
        matrix.endless(tag).subscribe().unsubscribe()
        // Either the request never left, or it was cancelled: the stream must not keep running.
        await until(
          'the provider to have no running stream',
          async () => !(await matrix.running()).includes(tag),
          3000,
        )
        const started = provider.matching(new RegExp(`^STARTED ${tag}$`), from).length
        if (started > 0) await provider.waitForLine(new RegExp(`^STOPPED ${tag}$`), { from, timeoutMs: 3000 })
        await until('the relay to forget the call', async () => (await relay.stats()).pending === 0, 3000)
      })
    })

    test('50 concurrent calls on one connection each get their own answer', async () => {
      const calls: PromiseLike<unknown>[] = Array.from({ length: 50 }, (_, i) =>
        i % 5 === 0 ? lastValueFrom(matrix.observable(i % 7).pipe(toArray())) : matrix.echo(i, `call-${i}`),
      )
      const results = await within(10_000, '50 concurrent calls', Promise.all(calls))
      results.forEach((result, i) => {
        expect(result).toEqual(i % 5 === 0 ? Array.from({ length: i % 7 }, (_, k) => k) : [i, `call-${i}`])
      })
    })

    test('timeout: a call with no value within the window fails with MICROSERVICE_RPC_TIMEOUT', async () => {
      const impatient = client.link<Matrix>('Matrix', { timeout: 300 })
      const started = Date.now()
      const err = await rejectionOf(impatient.slow(3000))
      expect(err.code).toBe('MICROSERVICE_RPC_TIMEOUT')
      expect(Date.now() - started).toBeLessThan(2500)
    })

    test('fallback replaces an error: null for an offline service, a value for a failing call', async () => {
      const missing = client.link<{ anything(): string }>('NoSuchService', { fallback: null })
      expect(await missing.anything()).toBeNull()
      const failing = client.link<Matrix>('Matrix', { fallback: 'fallback' })
      // The fallback need not have the method's type: it replaces the error as given.
      const replaced: unknown = await failing.syncThrow()
      expect(replaced).toBe('fallback')
      expect(await lastValueFrom(failing.syncValue(1).pipe(toArray()))).toEqual([2])
    })
  })

  describe(`round-robin on a ${adapter} relay`, () => {
    let relay: RelayProcess
    let client: TestClient

    beforeAll(async () => {
      relay = await startRelay({ adapter })
      client = await startClient(relay.url)
    })
    afterAll(releaseSuite)

    async function countAnswers(providers: string[], calls: number) {
      const matrix = client.link<Matrix>('Matrix')
      const expected = JSON.stringify([...providers].sort())
      const current = () => JSON.stringify(matrix.nodes.map((n) => n.node_id).sort())
      await until(`exactly ${expected} in discovery (now ${current()})`, () => current() === expected)
      const counts = new Map<string, number>()
      for (let i = 0; i < calls; i++) {
        const id = (await matrix.whoami()) as string
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      return counts
    }

    test('two providers share sequential calls evenly', async () => {
      const ids = [`rr-a-${adapter}`, `rr-b-${adapter}`]
      await Promise.all(ids.map((nodeId) => startProvider({ relayUrl: relay.url, nodeId })))
      const counts = await countAnswers(ids, 10)
      expect([...counts.keys()].sort()).toEqual([`rr-a-${adapter}`, `rr-b-${adapter}`])
      expect([...counts.values()]).toEqual([5, 5])
    })

    test('three providers share sequential calls evenly', async () => {
      const ids = [`rr-c-${adapter}`, `rr-d-${adapter}`, `rr-e-${adapter}`]
      await Promise.all(ids.map((nodeId) => startProvider({ relayUrl: relay.url, nodeId })))
      const counts = await countAnswers(ids, 12)
      expect(counts.size).toBe(3)
      expect([...counts.values()]).toEqual([4, 4, 4])
    })
  })
}
