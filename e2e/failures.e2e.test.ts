import { describe, expect, test } from 'bun:test'
import { lastValueFrom, take, toArray } from 'rxjs'
import type { Matrix } from './fixtures/services.js'
import {
  ADAPTERS,
  firstMatching,
  rejectionOf,
  startCaller,
  startClient,
  startProvider,
  startRelay,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

/** Subscribes to a stream and resolves with the values seen and the error that ended it. */
function streamUntilError(source: import('rxjs').Observable<unknown>) {
  const values: unknown[] = []
  let firstValue!: () => void
  const started = new Promise<void>((resolve) => {
    firstValue = resolve
  })
  const ended = new Promise<{ code?: string; message: string; at: number }>((resolve, reject) => {
    source.subscribe({
      next: (v) => {
        values.push(v)
        firstValue()
      },
      error: (err) => resolve(Object.assign(err, { at: Date.now() })),
      complete: () => reject(new Error('the stream completed instead of failing')),
    })
  })
  return { values, started, ended }
}

for (const adapter of ADAPTERS) {
  describe(`losing a process (${adapter} relay)`, () => {
    test('provider offline detection: a SIGKILLed provider leaves discovery and calls fail with MICROSERVICE_OFFLINE', async () => {
      const relay = await startRelay({ adapter })
      const provider = await startProvider({ relayUrl: relay.url, nodeId: `offline-${adapter}` })
      const client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix')
      await matrix.wait({ timeout: 5000 })
      expect(matrix.nodes.map((n) => n.node_id)).toEqual([`offline-${adapter}`])

      provider.kill('SIGKILL')
      await firstMatching(
        matrix.watch(),
        'the provider to leave discovery',
        3000,
        (nodes) => nodes.length === 0,
      )
      const started = Date.now()
      const err = await rejectionOf(matrix.whoami())
      expect(err.code).toBe('MICROSERVICE_OFFLINE')
      expect(Date.now() - started).toBeLessThan(2000)
    })

    test('a frozen provider (SIGSTOP) is detected by the heartbeat and its pending call fails', async () => {
      const relay = await startRelay({ adapter, heartbeatMs: 300 })
      const provider = await startProvider({ relayUrl: relay.url, nodeId: `frozen-${adapter}` })
      const client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix', { timeout: 10_000 })
      await matrix.wait({ timeout: 5000 })
      const pending = rejectionOf(matrix.slow(20_000))
      // Calls on one connection are delivered in order: this answer proves `slow` reached the provider.
      expect(await matrix.whoami()).toBe(`frozen-${adapter}`)
      provider.kill('SIGSTOP')
      try {
        const err = await within(3000, 'the pending call to fail', pending)
        expect(err.code).toBe('MICROSERVICE_OFFLINE')
        await firstMatching(
          matrix.watch(),
          'the frozen provider to leave discovery',
          3000,
          (n) => n.length === 0,
        )
      } finally {
        provider.kill('SIGKILL')
      }
    })

    test('an in-flight stream fails with MICROSERVICE_OFFLINE when its provider is SIGKILLed', async () => {
      const relay = await startRelay({ adapter })
      const provider = await startProvider({ relayUrl: relay.url, nodeId: `inflight-${adapter}` })
      const client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix', { timeout: 10_000 })
      await matrix.wait({ timeout: 5000 })
      const stream = streamUntilError(matrix.endless('inflight'))
      await within(3000, 'the first value', stream.started)
      const killedAt = Date.now()
      provider.kill('SIGKILL')
      const err = await within(3000, 'the stream to fail', stream.ended)
      expect(err.code).toBe('MICROSERVICE_OFFLINE')
      expect(err.at - killedAt).toBeLessThan(2000)
      expect(stream.values.length).toBeGreaterThan(0)
    })

    test('a SIGKILLed caller makes the provider stop the stream it was serving', async () => {
      const relay = await startRelay({ adapter })
      const provider = await startProvider({ relayUrl: relay.url, nodeId: `orphan-${adapter}` })
      const caller = startCaller({
        relayUrl: relay.url,
        nodeId: `doomed-caller-${adapter}`,
        method: 'endless',
        args: ['orphan'],
      })
      await caller.waitForLine(/^VALUE 2$/)
      await provider.waitForLine(/^STARTED orphan$/)
      caller.kill('SIGKILL')
      await provider.waitForLine(/^STOPPED orphan$/, { timeoutMs: 2000 })
      expect((await relay.stats()).pending).toBe(0)
    })

    test('a SIGKILLed relay fails pending unary and stream calls fast with MICROSERVICE_OFFLINE', async () => {
      const relay = await startRelay({ adapter })
      const provider = await startProvider({ relayUrl: relay.url, nodeId: `relay-loss-${adapter}` })
      const client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix', { timeout: 30_000 })
      await matrix.wait({ timeout: 5000 })
      const unary = rejectionOf(matrix.slow(20_000)).then((err) => ({
        ...err,
        code: err.code,
        at: Date.now(),
      }))
      const stream = streamUntilError(matrix.endless('relay-loss'))
      await within(3000, 'the first stream value', stream.started)
      const from = provider.mark()
      const killedAt = Date.now()
      relay.proc.kill('SIGKILL')

      const [unaryErr, streamErr] = await within(
        3000,
        'both calls to fail',
        Promise.all([unary, stream.ended]),
      )
      expect(unaryErr.code).toBe('MICROSERVICE_OFFLINE')
      expect(streamErr.code).toBe('MICROSERVICE_OFFLINE')
      expect(unaryErr.at - killedAt).toBeLessThan(2000)
      expect(streamErr.at - killedAt).toBeLessThan(2000)
      // The provider side ends too: the stream it was serving is torn down.
      await provider.waitForLine(/^STOPPED relay-loss$/, { from, timeoutMs: 1500 })
    })
  })
}

describe('providers coming and going', () => {
  test('a client started before any provider waits, then its call succeeds', async () => {
    const relay = await startRelay()
    const caller = startCaller({
      relayUrl: relay.url,
      nodeId: 'early-caller',
      method: 'whoami',
      mode: 'await',
    })
    await caller.waitForLine(/^CONNECTED$/)
    expect(caller.matching(/^WAITED$/)).toHaveLength(0)
    await startProvider({ relayUrl: relay.url, nodeId: 'late-provider' })
    await caller.waitForLine(/^VALUE "late-provider"$/)
    await caller.waitForLine(/^COMPLETE$/)
    expect(await caller.exited).toBe(0)
  })

  test('a restarted provider (same node id) serves again', async () => {
    const relay = await startRelay()
    const client = await startClient(relay.url)
    const matrix = client.link<Matrix>('Matrix')
    const first = await startProvider({ relayUrl: relay.url, nodeId: 'phoenix' })
    await matrix.wait({ timeout: 5000 })
    expect(await matrix.whoami()).toBe('phoenix')

    first.kill('SIGKILL')
    await firstMatching(matrix.watch(), 'the provider to go', 3000, (nodes) => nodes.length === 0)
    expect((await rejectionOf(matrix.whoami())).code).toBe('MICROSERVICE_OFFLINE')

    await startProvider({ relayUrl: relay.url, nodeId: 'phoenix' })
    await matrix.wait({ timeout: 5000 })
    expect(await matrix.whoami()).toBe('phoenix')
    expect(await lastValueFrom(matrix.observable(3).pipe(toArray()))).toEqual([0, 1, 2])
  })

  test('failover: with 3 providers, killing one leaves no errors for the calls after', async () => {
    const relay = await startRelay()
    const client = await startClient(relay.url)
    const matrix = client.link<Matrix>('Matrix')
    const ids = ['fo-1', 'fo-2', 'fo-3']
    const providers = await Promise.all(ids.map((nodeId) => startProvider({ relayUrl: relay.url, nodeId })))
    await firstMatching(matrix.watch(), '3 providers', 5000, (nodes) => nodes.length === 3)

    providers[1]!.kill('SIGKILL')
    await firstMatching(matrix.watch(), 'the killed provider to leave', 3000, (nodes) => nodes.length === 2)
    const answers = await Promise.all(Array.from({ length: 30 }, () => matrix.whoami()))
    expect(new Set(answers)).toEqual(new Set(['fo-1', 'fo-3']))
    const streams = await Promise.all(
      Array.from({ length: 6 }, () => lastValueFrom(matrix.endless('fo').pipe(take(2), toArray()))),
    )
    expect(streams).toEqual(Array.from({ length: 6 }, () => [0, 1]))
  })
})
