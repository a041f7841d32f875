import { describe, expect, test } from 'bun:test'
import { ErrorCode, type MeshError } from '@spider-mesh/core'
import { filter, firstValueFrom, take, toArray } from 'rxjs'
import {
  type ManagedProcess,
  type RelayProcess,
  relayJson,
  spawnFixture,
  startClient,
  startCluster,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

/** The relays' `topics` option and access rules (every connection: no authentication here). */
const RELAY_ENV = {
  TOPICS_JSON: JSON.stringify({
    'ticks.*': { retain: 50 },
    'short.*': { retain: 10, ttlMs: 500 },
    'secret.*': { retain: 10 },
    // More than a restart's worth of messages: what a listener misses while its relay is down.
    'resume.*': { retain: 1000 },
  }),
  ACCESS_JSON: JSON.stringify({
    undefined: {
      subscribe: ['ticks.*', 'short.*', 'resume.*', 'plain'],
      publish: ['*'],
      call: ['*'],
      provide: ['*'],
    },
  }),
}

/**
 * Waits until the relays reach NATS: a relay listens before it has joined, and a publication it
 * takes while NATS is unreachable is delivered but not stored in the history (by design).
 */
async function natsReady(relays: RelayProcess[]): Promise<void> {
  await until(
    'the relays to reach NATS',
    async () => {
      const states = await Promise.all(
        relays.map((r) => relayJson<{ cluster?: { state: string } }>(r, '/health')),
      )
      return states.every((h) => h.cluster?.state === 'connected')
    },
    10_000,
  )
}

/** Three relay URLs: one relay three times, or the three relays of a cluster. */
interface Setup {
  relays: RelayProcess[]
  /** Kills relay `i` (SIGKILL) and starts it again on the same port. */
  restart(i: number): Promise<RelayProcess>
}

const SETUPS: [string, () => Promise<Setup>][] = [
  ...(['bun', 'node'] as const).map(
    (adapter) =>
      [
        `single relay (${adapter} adapter, in memory)`,
        async (): Promise<Setup> => {
          const relay = await startRelay({ adapter, env: RELAY_ENV })
          const setup: Setup = {
            relays: [relay, relay, relay],
            async restart() {
              const old = setup.relays[0]!
              old.proc.kill('SIGKILL')
              const again = await startRelay({ adapter, port: old.port, env: RELAY_ENV })
              setup.relays = [again, again, again]
              return again
            },
          }
          return setup
        },
      ] as [string, () => Promise<Setup>],
  ),
  [
    '3-relay cluster (JetStream)',
    async () => {
      const names = ['a', 'b', 'c']
      const cluster = await startCluster(names, {}, { env: RELAY_ENV })
      await natsReady(cluster.relays)
      const setup: Setup = {
        relays: cluster.relays,
        async restart(i) {
          const old = setup.relays[i]!
          old.proc.kill('SIGKILL')
          const again = await startRelay({
            name: `relay ${names[i]} again`,
            nats: cluster.nats.url,
            clusterName: names[i],
            port: old.port,
            env: RELAY_ENV,
          })
          setup.relays[i] = again
          await natsReady([again])
          return again
        },
      }
      return setup
    },
  ],
]

function historyNode(role: 'publish' | 'listen', url: string, env: Record<string, string>): ManagedProcess {
  const nodeId = `${role}-${Math.random().toString(36).slice(2, 8)}`
  return spawnFixture(`history ${nodeId}`, 'history-node.ts', {
    RELAY_URL: url,
    NODE_ID: nodeId,
    ROLE: role,
    ...env,
  })
}

/** What a listener process got, in order. */
function received(listener: ManagedProcess): { i: number; at: number }[] {
  return listener.matching(/^GOT (\d+) (\d+)$/).map((m) => ({ i: Number(m[1]), at: Number(m[2]) }))
}

/** How many values the publisher says it published so far. */
function publishedSoFar(publisher: ManagedProcess): number {
  return Math.max(0, ...publisher.matching(/^AT (\d+)$/).map((m) => Number(m[1])))
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'resolved', message: '' }) as MeshError,
    (e) => e as MeshError,
  )

for (const [name, start] of SETUPS) {
  describe(`topic history: ${name}`, () => {
    test('a listener started mid-way gets up to 50 retained messages, then the live ones: no gap, no duplicate', async () => {
      const { relays } = await start()
      const count = 300
      const publisher = historyNode('publish', relays[0]!.url, {
        TOPIC: 'ticks.run',
        COUNT: String(count),
        INTERVAL_MS: '10',
      })
      await until('100 messages to be published', () => publishedSoFar(publisher) >= 100, 20_000)
      const atStart = publishedSoFar(publisher)
      // In the cluster: published through relay a, listened to on relay c.
      const listener = historyNode('listen', relays[2]!.url, { TOPIC: 'ticks.run', HISTORY: '50' })
      await listener.waitForLine(new RegExp(`^GOT ${count - 1} `), { timeoutMs: 30_000 })
      const subscribedAt = Number((await listener.waitForLine(/^SUBSCRIBED (\d+)$/))[1])
      const got = received(listener)
      const first = got[0]!
      expect(first.i).toBeGreaterThanOrEqual(Math.max(0, atStart - 50))
      // The first one was published before the listener subscribed: it came from the history.
      expect(first.at).toBeLessThan(subscribedAt)
      expect(got.map((v) => v.i)).toEqual(range(first.i, count))
      expect(listener.matching(/^FAILED/)).toEqual([])
    })

    test('messages older than ttlMs are not replayed; newer ones are', async () => {
      const { relays } = await start()
      const publisher = await startClient(relays[0]!.url)
      const listener = await startClient(relays[2]!.url)
      for (let i = 0; i < 5; i++) publisher.mesh.publish('short.t', i)
      // The old ones must have been stored before their time runs: a first listener sees them.
      const old = await firstValueFrom(
        listener.mesh.listen<number>('short.t', { history: 10 }).pipe(take(5), toArray()),
      )
      expect(old).toEqual([0, 1, 2, 3, 4])
      // Fewer than are retained: the last ones only.
      const lastTwo = listener.mesh.listen<number>('short.t', { history: 2 }).pipe(take(2), toArray())
      expect(await firstValueFrom(lastTwo)).toEqual([3, 4])
      await new Promise((resolve) => setTimeout(resolve, 1500)) // three times the 500 ms TTL
      for (let i = 5; i < 8; i++) publisher.mesh.publish('short.t', i)
      const fresh = listener.mesh.listen<number>('short.t', { history: 10 })
      // The 3 newer ones, and a live one after them: nothing older came first.
      const values = firstValueFrom(fresh.pipe(take(4), toArray()))
      await until('the live message to arrive', async () => {
        publisher.mesh.publish('short.t', 8)
        return Promise.race([
          values.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
        ])
      })
      expect((await values).slice(0, 4)).toEqual([5, 6, 7, 8])
    })

    test('a topic without a policy fails with TOPIC_NOT_RETAINED, a denied one with ACCESS_DENIED', async () => {
      const { relays } = await start()
      const listener = await startClient(relays[2]!.url)
      const notRetained = await failure(firstValueFrom(listener.mesh.listen('plain', { history: 5 })))
      expect(notRetained.code).toBe(ErrorCode.TOPIC_NOT_RETAINED)
      expect(notRetained.message).toContain('`topics` option')
      const denied = await failure(firstValueFrom(listener.mesh.listen('secret.plans', { history: 5 })))
      expect(denied.code).toBe(ErrorCode.ACCESS_DENIED)
      // A plain listener of an unretained topic is unaffected.
      const publisher = await startClient(relays[0]!.url)
      const plain = firstValueFrom(listener.mesh.listen<string>('plain').pipe(filter((v) => v === 'hi')))
      await until('the plain listener to hear', async () => {
        publisher.mesh.publish('plain', 'hi')
        return Promise.race([
          plain.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
        ])
      })
    })

    test("the listener's relay restarting: the stream resumes without a duplicate", async () => {
      const setup = await start()
      const count = 400
      const publisher = historyNode('publish', setup.relays[0]!.url, {
        TOPIC: 'resume.run',
        COUNT: String(count),
        INTERVAL_MS: '10',
      })
      await until('20 messages to be published', () => publishedSoFar(publisher) >= 20, 20_000)
      const listener = historyNode('listen', setup.relays[2]!.url, { TOPIC: 'resume.run', HISTORY: '50' })
      await until('the listener to get 50 messages', () => received(listener).length >= 50, 20_000)
      const beforeRestart = received(listener).length
      await setup.restart(2)
      await listener.waitForLine(new RegExp(`^GOT ${count - 1} `), { timeoutMs: 30_000 })
      const got = received(listener).map((v) => v.i)
      expect(got.length).toBeGreaterThan(beforeRestart)
      expect(listener.matching(/^FAILED/)).toEqual([])
      if (setup.relays[0] === setup.relays[2]) {
        // One relay, in memory: what was published while it was down is lost (the publisher's
        // relay was down too), but nothing comes twice and the order holds.
        expect(got.every((v, k) => k === 0 || v > got[k - 1]!)).toBe(true)
      } else {
        // JetStream kept everything relay a stored while relay c was down: not one value missing.
        expect(got).toEqual(range(got[0]!, count))
        // The restarted relay serves the shared history to a new listener too.
        const late = await startClient(setup.relays[2]!.url)
        const last = await firstValueFrom(
          late.mesh.listen<{ i: number }>('resume.run', { history: 50 }).pipe(take(50), toArray()),
        )
        expect(last.map((v) => v.i)).toEqual(range(count - 50, count))
      }
    })
  })
}

describe('topic history: a cluster whose nats-server runs without JetStream', () => {
  test('listen with history fails with STORE_UNAVAILABLE saying -js; plain pub/sub of a retained topic still works', async () => {
    const { relays } = await startCluster(['a', 'b'], { jetstream: false }, { env: RELAY_ENV })
    const publisher = await startClient(relays[0]!.url)
    const listener = await startClient(relays[1]!.url)
    const err = await failure(firstValueFrom(listener.mesh.listen('ticks.x', { history: 5 })))
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE)
    expect(err.message).toContain('nats-server with -js')
    const plain = firstValueFrom(listener.mesh.listen<string>('ticks.x').pipe(filter((v) => v === 'hi')))
    await until('the plain listener on the other relay to hear', async () => {
      publisher.mesh.publish('ticks.x', 'hi')
      return Promise.race([
        plain.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
      ])
    })
  })
})

describe('topic history: a cluster relay restarted with another policy', () => {
  test('the JetStream stream takes the new retain and ttlMs; what it still holds is served', async () => {
    const { nats, relays } = await startCluster(['a'], {}, { env: RELAY_ENV })
    await natsReady(relays)
    const publisher = await startClient(relays[0]!.url)
    for (let i = 0; i < 8; i++) publisher.mesh.publish('ticks.policy', i)
    const before = await firstValueFrom(
      publisher.mesh.listen<number>('ticks.policy', { history: 50 }).pipe(take(8), toArray()),
    )
    expect(before).toEqual(range(0, 8))
    await publisher.close()
    relays[0]!.proc.kill('SIGKILL')
    const env = { ...RELAY_ENV, TOPICS_JSON: JSON.stringify({ 'ticks.*': { retain: 3, ttlMs: 60_000 } }) }
    const again = await startRelay({ name: 'relay a again', nats: nats.url, clusterName: 'a', env })
    await natsReady([again])
    const listener = await startClient(again.url)
    const got: number[] = []
    listener.mesh.listen<number>('ticks.policy', { history: 50 }).subscribe((v) => got.push(v))
    // Only the last 3 are kept now.
    await until('the replay', () => got.length >= 3)
    expect(got).toEqual([5, 6, 7])
    await until('a live message after the replay', () => {
      listener.mesh.publish('ticks.policy', 100)
      return got.length > 3
    })
    expect(got[3]).toBe(100)
  })
})
