import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { Matrix } from './fixtures/services.js'
import {
  ADAPTERS,
  spawnFixture,
  startClient,
  startProvider,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

/** A process's resident memory in bytes, from /proc (Linux). */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)
  if (!line) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(line[1]) * 1024
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(ADAPTERS)('stream flow control through a real relay (%s adapter)', (adapter) => {
  test('a caller stopped with SIGSTOP mid-stream: the connection stays, the provider waits, memory stays bounded, the stream resumes where it was', async () => {
    // The relay's default heartbeat (30 s): a node silent for a few seconds is not presumed dead.
    const relay = await startRelay({ adapter })
    const provider = await startProvider({ relayUrl: relay.url, nodeId: 'fc-provider' })
    const observer = await startClient(relay.url)
    const matrix = observer.link<Matrix>('Matrix')
    const count = 40_000
    const consumer = spawnFixture('stream consumer', 'stream-consumer.ts', {
      RELAY_URL: relay.url,
      NODE_ID: 'fc-consumer',
      COUNT: String(count),
      SIZE: '1000',
    })
    await consumer.waitForLine(/^GOT 2000$/, { timeoutMs: 20_000 })
    consumer.kill('SIGSTOP')
    try {
      // The consumer's socket fills; then no credit comes back: the generator stops being pulled.
      await sleep(1000)
      const relayBefore = rss(relay.proc.pid)
      const providerBefore = rss(provider.pid)
      const producedBefore = await matrix.producedCount()
      await sleep(3000)
      const producedAfter = await matrix.producedCount()
      expect(producedAfter).toBe(producedBefore)
      expect(producedAfter).toBeLessThan(count)
      // Bounded: a window of 128 values of 1 KB is what may wait, not the 40 MB stream.
      expect(rss(relay.proc.pid) - relayBefore).toBeLessThan(16 * 1024 * 1024)
      expect(rss(provider.pid) - providerBefore).toBeLessThan(16 * 1024 * 1024)
      // The relay did not drop the slow consumer: its send buffer holds one window, far below the
      // slow-consumer guard (maxBufferedBytes), so it is never closed with 4503.
      expect((await relay.stats()).connections).toBe(3)
    } finally {
      consumer.kill('SIGCONT')
    }
    await consumer.waitForLine(new RegExp(`^DONE ${count} 0$`), { timeoutMs: 30_000 })
    await consumer.waitForLine(/^OTHER 42$/)
    expect(consumer.lines.filter((l) => /^STATUS|^FAILED/.test(l.text))).toEqual([])
  }, 60_000)
})

test('a caller that pulls 10 values a second from a generator that could make 100k: the provider makes only what was taken plus the window', async () => {
  const relay = await startRelay()
  await startProvider({ relayUrl: relay.url, nodeId: 'pull-provider' })
  const client = await startClient(relay.url)
  const matrix = client.link<Matrix>('Matrix', { timeout: 0 })
  await matrix.wait({ timeout: 5000 })
  const before = await matrix.producedCount()
  let taken = 0
  for await (const value of matrix.numbers(1_000_000_000).withWindow(16)) {
    expect(value).toBe(taken)
    taken++
    if (taken === 12) break
    await sleep(100)
  }
  await sleep(200)
  const produced = (await matrix.producedCount()) - before
  expect(produced).toBeGreaterThanOrEqual(12)
  expect(produced).toBeLessThanOrEqual(12 + 16 + 1)
  // Leaving the loop cancelled the call: nothing more is produced.
  await sleep(200)
  expect((await matrix.producedCount()) - before).toBe(produced)
})

describe('deadlines and the call context through real relays', () => {
  test('the provider reads caller, metadata and deadline; its signal fires at the deadline and on cancel', async () => {
    const relay = await startRelay()
    await startProvider({ relayUrl: relay.url, nodeId: 'ctx-provider' })
    const client = await startClient(relay.url, { nodeId: 'ctx-caller' })
    const matrix = client.link<Matrix>('Matrix', { meta: { tenant: 'acme' }, deadlineMs: 5000 })
    await matrix.wait({ timeout: 5000 })
    const seen = await matrix.context()
    expect(seen).toMatchObject({ callerId: 'ctx-caller', principal: null, meta: { tenant: 'acme' } })
    expect(seen.deadlineLeft).toBeGreaterThan(3000)
    expect(seen.deadlineLeft).toBeLessThanOrEqual(5000)

    const short = client.link<Matrix>('Matrix', { deadlineMs: 300 })
    const started = Date.now()
    const err = await Promise.resolve(short.untilAborted()).catch((e) => e as { code: string })
    expect((err as { code: string }).code).toBe('MICROSERVICE_RPC_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(3000)
    // The provider's signal fired when the deadline passed. Its reason is the deadline when the
    // provider's own timer fires first; under load the caller's cancel for the same deadline can
    // reach it a little before its own deadline (the deadline travels as time left, so the
    // provider's is later by the request's transit), and then it reads as a cancel.
    await until('the provider to see the deadline', async () => (await matrix.aborts()).length === 1)
    expect(['MICROSERVICE_RPC_TIMEOUT', 'CALL_CANCELLED']).toContain((await matrix.aborts())[0]!)

    const subscription = matrix.untilAborted().subscribe()
    await sleep(200)
    subscription.unsubscribe()
    await until('the provider to see the cancel', async () => (await matrix.aborts()).length === 2)
    expect((await matrix.aborts())[1]).toBe('CALL_CANCELLED')
  })
})
