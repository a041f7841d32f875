/**
 * Fuzzes a relay process (both adapters) from raw sockets, batch after batch, and after each batch
 * proves the relay is still whole: two honest nodes complete calls through it, its tables return to
 * their baseline once the fuzz sockets are gone, the provider serves nothing for them any more, and
 * its memory stays under a bound.
 *
 * CI runs a small profile as part of `bun test e2e`; `bun run test:fuzz` runs the full one.
 * Environment: FUZZ_SEED (replay a run: the seed is printed first), FUZZ_BATCHES, FUZZ_ITERATIONS
 * (messages per batch), FUZZ_HUGE (large messages per batch), FUZZ_PROFILE=full, FUZZ_ADAPTERS
 * (e.g. `node`).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { encodeFrame, encodeValue, FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import { lastValueFrom, toArray } from 'rxjs'
import type { Matrix } from '../fixtures/services.js'
import {
  ADAPTERS,
  type ManagedProcess,
  type RelayProcess,
  relayFromProcess,
  spawnFixture,
  startClient,
  startProvider,
  type TestClient,
  until,
  useCleanup,
  within,
} from '../harness/index.js'
import { type RelayTables, relayTables } from '../harness/relay-tables.js'
import { troubleIn } from '../harness/stderr-trouble.js'
import { hugeString } from './frame-generators.js'
import { runBatch } from './fuzz-batch.js'
import { FuzzSocket } from './fuzz-socket.js'
import { Prng } from './prng.js'
import { canReadRss, rssSampler, settledRssMiB } from './relay-probe.js'

useCleanup()

const env = process.env
const full = env.FUZZ_PROFILE === 'full'
const seed = Prng.seedFromEnv()
const batches = Number(env.FUZZ_BATCHES ?? (full ? 40 : 3))
const iterations = Number(env.FUZZ_ITERATIONS ?? (full ? 6000 : 500))
/** Large messages per batch (1 MiB up to 3/4 of the limit, or 100k-element arrays). */
const hugePerBatch = Number(env.FUZZ_HUGE ?? (full ? 6 : 2))
const adapters = (env.FUZZ_ADAPTERS?.split(',') ?? ADAPTERS) as (typeof ADAPTERS)[number][]
/** Smaller than the 16 MiB default, so messages over the limit are cheap to send. */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
const MiB = 1024 * 1024
/**
 * Settled RSS (after a full GC) may exceed the baseline by at most this much. Once the fuzz
 * sockets are closed the relay holds nothing for them, so anything retained is a leak; the
 * allowance covers what the allocator keeps after the largest legitimate transient load: a few
 * messages of up to maxPayloadBytes decoded at once (their strings and copies), and the encode and
 * coalescing buffers, i.e. about 4 × maxPayloadBytes, plus 64 MiB for heap fragmentation and JIT
 * code that a fresh process grows into anyway. A leak of one multi-MB name per request, or of
 * per-connection state, crosses it within a few batches.
 */
const RSS_ALLOWANCE_MIB = (4 * MAX_PAYLOAD_BYTES) / MiB + 64

console.log(
  `FUZZ seed=${seed} (replay with FUZZ_SEED=${seed}) batches=${batches} iterations=${iterations} ` +
    `adapters=${adapters.join(',')} profile=${full ? 'full' : 'ci'}`,
)

/** Starts the relay fixture (with unhandled-error reporting) and waits until it listens. */
async function startFuzzRelay(adapter: string, extra: Record<string, string> = {}): Promise<RelayProcess> {
  const proc = spawnFixture(`fuzz-relay-${adapter}`, 'guarded.ts', {
    FIXTURE: 'relay.ts',
    PORT: '0',
    RELAY_ADAPTER: adapter,
    // The honest client shares its event loop with the fuzzer, which under CPU hogs can stall it
    // for over a second while it encodes a batch: a 500 ms heartbeat (dropped after 1.25 s) cut it
    // off as dead. 2 s gives it 5 s; the heartbeat is not what this suite fuzzes.
    HEARTBEAT_MS: '2000',
    MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
    ...extra,
  })
  return relayFromProcess(proc)
}

/** Failures the honest loop records one by one; past this it only counts them. */
const MAX_HONEST_PROBLEMS = 20

/**
 * Honest, pinned calls in a loop while a batch runs: every one must return the right value. A
 * failed call is followed by a 50 ms pause: calls that fail at once (the client lost its relay)
 * must not spin the loop on microtasks, which starved the batch of I/O and grew a problem list
 * to 12 GB under CPU hogs (the fuzz run that never ended).
 */
function honestTraffic(client: TestClient, providerId: string) {
  const matrix = client.link<Matrix>('Matrix', { node_id: providerId, timeout: 5000 })
  let stopped = false
  const problems: string[] = []
  let failures = 0
  let calls = 0
  const fail = async (problem: string) => {
    if (++failures <= MAX_HONEST_PROBLEMS) problems.push(problem)
    else if (failures === MAX_HONEST_PROBLEMS + 1) problems.push('… and more honest call failures')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const done = (async () => {
    while (!stopped) {
      try {
        if (calls % 4 === 3) {
          const values = await within(
            6000,
            'an honest stream',
            lastValueFrom(matrix.ordered(20).pipe(toArray())),
          )
          if (values.join() !== Array.from({ length: 20 }, (_, i) => i).join()) {
            await fail(`honest stream got ${JSON.stringify(values)}`)
          }
        } else {
          const who = await within(6000, 'an honest call', matrix.whoami())
          if (who !== providerId) await fail(`honest call returned ${JSON.stringify(who)}, not ${providerId}`)
        }
      } catch (err) {
        await fail(`honest call failed during the batch: ${(err as Error).message}`)
      }
      calls++
    }
  })()
  return {
    async stop() {
      stopped = true
      await done
      return { calls, problems }
    },
  }
}

const sameTables = (a: RelayTables, b: RelayTables) => JSON.stringify(a) === JSON.stringify(b)

for (const adapter of adapters) {
  describe(`fuzzing a relay process (${adapter} adapter)`, () => {
    let relay: RelayProcess
    let provider: ManagedProcess
    let client: TestClient
    const providerId = `honest-provider-${adapter}`
    let baseline: RelayTables
    let rssBaseline = 0

    beforeAll(async () => {
      relay = await startFuzzRelay(adapter)
      provider = await startProvider({ relayUrl: relay.url, nodeId: providerId })
      client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix')
      await matrix.wait({ timeout: 5000 })
      expect(await matrix.whoami()).toBe(providerId)
      baseline = await relayTables(relay.port)
      if (canReadRss) rssBaseline = await settledRssMiB(relay.proc)
    })

    test(`keeps routing honest calls through ${batches} batches of hostile input, returns its tables to baseline and keeps memory bounded`, async () => {
      const rng = new Prng(seed).fork(adapter === 'bun' ? 1 : 2)
      const sampler = canReadRss ? rssSampler(relay.proc.pid) : undefined
      const figures: string[] = []
      const kinds = new Map<string, number>()
      const closes = new Map<string, number>()
      let messages = 0
      let bytes = 0
      let sockets = 0
      let honestCalls = 0
      let settledPeak = rssBaseline
      try {
        for (let batch = 0; batch < batches; batch++) {
          const where = `seed ${seed}, ${adapter} adapter, batch ${batch}`
          const honest = honestTraffic(client, providerId)
          const report = await runBatch({
            url: relay.url,
            providerId,
            rng: rng.fork(batch),
            batch,
            messages: iterations,
            lanes: 4,
            huge: hugePerBatch,
            oversized: 1,
            maxPayloadBytes: MAX_PAYLOAD_BYTES,
          })
          const during = await honest.stop()
          honestCalls += during.calls
          messages += report.messages
          bytes += report.bytes
          sockets += report.sockets
          for (const [k, n] of report.kinds) kinds.set(k, (kinds.get(k) ?? 0) + n)
          for (const [k, n] of report.closes) closes.set(k, (closes.get(k) ?? 0) + n)

          const problems = [...report.violations, ...during.problems]
          // Every fuzz socket is closed: the relay must have forgotten all of them.
          let tables = await relayTables(relay.port)
          try {
            await until('the relay tables to return to baseline', async () => {
              tables = await relayTables(relay.port)
              return sameTables(tables, baseline)
            })
          } catch {
            problems.push(
              `tables did not return to baseline: ${JSON.stringify(tables)} vs ${JSON.stringify(baseline)}`,
            )
          }
          // Streams the fuzz sockets started on the honest provider must have been cancelled.
          const pinned = client.link<Matrix>('Matrix', { node_id: providerId })
          try {
            await until(
              'the provider to stop every fuzz stream',
              async () => (await pinned.running()).length === 0,
            )
          } catch {
            problems.push(
              `the provider still runs streams for closed sockets: ${JSON.stringify(await pinned.running())}`,
            )
          }
          // Unpinned routing works again (the fuzz nodes that claimed services are gone).
          const matrix = client.link<Matrix>('Matrix')
          try {
            expect(await within(5000, 'an unpinned call', matrix.whoami())).toBe(providerId)
            expect(
              await within(5000, 'an unpinned stream', lastValueFrom(matrix.ordered(50).pipe(toArray()))),
            ).toHaveLength(50)
          } catch (err) {
            problems.push(`unpinned call after the batch failed: ${(err as Error).message}`)
          }
          if (!provider.alive) problems.push('the honest provider died')
          if (!relay.proc.alive) problems.push('the relay died')
          problems.push(...troubleIn(relay.proc), ...troubleIn(provider))
          let rss = 0
          if (canReadRss && relay.proc.alive) {
            rss = await settledRssMiB(relay.proc)
            settledPeak = Math.max(settledPeak, rss)
            if (rss > rssBaseline + RSS_ALLOWANCE_MIB) {
              problems.push(
                `relay RSS ${rss.toFixed(1)} MiB after GC exceeds baseline ${rssBaseline.toFixed(1)} + ${RSS_ALLOWANCE_MIB} MiB`,
              )
            }
          }
          figures.push(
            `batch ${batch}: ${report.messages} messages (${(report.bytes / MiB).toFixed(1)} MiB) on ${report.sockets} sockets, ` +
              `${during.calls} honest calls during, settled RSS ${rss.toFixed(1)} MiB`,
          )
          if (problems.length > 0) {
            console.log(figures.join('\n'))
            throw new Error(`Fuzz found problems (${where}):\n  ${problems.join('\n  ')}`)
          }
        }
      } finally {
        sampler?.stop()
        console.log(
          [
            `FUZZ ${adapter}: seed=${seed} batches=${batches} messages=${messages} (${(bytes / MiB).toFixed(1)} MiB) sockets=${sockets} honest calls=${honestCalls}`,
            `  RSS baseline ${rssBaseline.toFixed(1)} MiB, settled peak ${settledPeak.toFixed(1)} MiB, sampled peak ${sampler?.peak.toFixed(1) ?? 'n/a'} MiB (bound ${(rssBaseline + RSS_ALLOWANCE_MIB).toFixed(1)} MiB after GC)`,
            `  closes: ${[...closes].map(([k, n]) => `${k}×${n}`).join(', ')}`,
            `  kinds: ${[...kinds]
              .sort((a, b) => b[1] - a[1])
              .map(([k, n]) => `${k}×${n}`)
              .join(', ')}`,
            ...figures.map((f) => `  ${f}`),
          ].join('\n'),
        )
      }
    }, 600_000)

    test('caller-chosen service names of several MB do not stay in the relay memory', async () => {
      // The relay keeps per-method metrics keyed by the service and method names the caller sends.
      // Their number is capped, but not their length: each distinct multi-MB name must not be kept.
      const before = canReadRss ? await settledRssMiB(relay.proc) : 0
      const socket = new FuzzSocket(relay.url, 'long names')
      await socket.opened
      socket.send(encodeFrame([FrameType.Hello, PROTOCOL_VERSION, `long-names-${adapter}`, [], []]))
      const count = 24
      const name = hugeString(2 * MiB)
      for (let i = 0; i < count; i++) {
        socket.send(encodeFrame([FrameType.Request, i + 1, `${name}${i}`, 'm', null, encodeValue([])]))
        await until(`answer ${i + 1}`, () => socket.count(FrameType.Response) > i, 5000)
      }
      socket.close()
      await socket.closed
      await until('the tables to return to baseline', async () =>
        sameTables(await relayTables(relay.port), baseline),
      )
      if (!canReadRss) return
      const after = await settledRssMiB(relay.proc)
      console.log(
        `long names (${adapter}): settled RSS ${before.toFixed(1)} → ${after.toFixed(1)} MiB after ${count} × 2 MiB names`,
      )
      // 24 names of 2 MiB are 48 MiB; keeping them shows as at least that much growth.
      expect(after - before).toBeLessThan(24)
    }, 60_000)
  })
}

describe('a connection that never says Hello', () => {
  test('is closed (4408) by the Hello deadline even while it keeps pinging', async () => {
    const relay = await startFuzzRelay('bun', { HELLO_TIMEOUT_MS: '1000', HEARTBEAT_MS: '30000' })
    const socket = new FuzzSocket(relay.url, 'never hello')
    await socket.opened
    // Pings are allowed before Hello and keep the heartbeat deadline away: only a Hello deadline helps.
    const pinger = setInterval(() => socket.send([FrameType.Ping, Date.now()]), 200)
    try {
      const closed = await within(4000, 'the relay to close a connection without Hello', socket.closed)
      expect(closed.code).toBe(4408)
      expect((await relayTables(relay.port)).connections).toBe(0)
    } finally {
      clearInterval(pinger)
    }
  })
})
