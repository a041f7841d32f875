import { describe, expect, test } from 'bun:test'
import { type MeshError, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { firstValueFrom } from 'rxjs'
import {
  type ManagedProcess,
  rejectionOf,
  spawnFixture,
  startClient,
  startCluster,
  startRelay,
  track,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

interface Report {
  version: number
  value: unknown
  updates: number
  patches: number
  fulls: number
  increasing: boolean
}

/** Starts e2e/fixtures/records-node.ts and waits until it is connected. */
async function startRecordsNode(
  name: string,
  env: Record<string, string | undefined>,
): Promise<ManagedProcess> {
  const proc = spawnFixture(name, 'records-node.ts', env)
  await proc.waitForLine(/^CONNECTED$/, { timeoutMs: 10_000 })
  return proc
}

async function startWatcher(url: string, id: string, mode: 'full' | 'patch', name: string) {
  const proc = await startRecordsNode(name, { RELAY_URL: url, RECORD_ID: id, ROLE: 'watcher', MODE: mode })
  await proc.waitForLine(/^WATCHING /, { timeoutMs: 10_000 })
  return proc
}

async function reportOf(proc: ManagedProcess): Promise<Report> {
  const from = proc.mark()
  proc.write('REPORT')
  const line = await proc.waitForLine(/^REPORT (.*)$/, { from, timeoutMs: 5000 })
  return JSON.parse(line[1]!) as Report
}

/** How a suite reaches its relays: one relay (three names for it) or three relays of a cluster. */
interface Setup {
  name: string
  cluster: boolean
  start(): Promise<string[]>
}

const SETUPS: Setup[] = [
  {
    name: 'single relay (bun adapter)',
    cluster: false,
    async start() {
      const relay = await startRelay({ adapter: 'bun' })
      return [relay.url, relay.url, relay.url]
    },
  },
  {
    name: 'single relay (node adapter)',
    cluster: false,
    async start() {
      const relay = await startRelay({ adapter: 'node' })
      return [relay.url, relay.url, relay.url]
    },
  },
  {
    name: '3-relay cluster (NATS KV)',
    cluster: true,
    async start() {
      const { relays } = await startCluster(['a', 'b', 'c'])
      return relays.map((r) => r.url)
    },
  },
]

describe.each(SETUPS)('versioned records: $name', (setup) => {
  test('get, write and patch a record; a missing record is null', async () => {
    const [a, , c] = await setup.start()
    const writer = await startClient(a!)
    const reader = await startClient(c!)
    expect(await reader.mesh.records.get('doc.missing')).toBeNull()

    expect(await writer.mesh.records.write('doc.1', { title: 'Draft', tags: ['a'] })).toEqual({ version: 1 })
    expect(await reader.mesh.records.get('doc.1')).toEqual({
      version: 1,
      value: { title: 'Draft', tags: ['a'] },
    })
    const patched = await reader.mesh.records.patch('doc.1', [
      { op: 'replace', path: '/title', value: 'Final' },
      { op: 'add', path: '/tags/-', value: 'b' },
    ])
    expect(patched).toEqual({ version: 2 })
    expect(await writer.mesh.records.get('doc.1')).toEqual({
      version: 2,
      value: { title: 'Final', tags: ['a', 'b'] },
    })
    // A whole-document patch and an id that is not a KV key (dots, spaces, unicode, slashes).
    const odd = 'ünï côdé / 📄 *.>'
    await writer.mesh.records.patch(odd, [{ op: 'replace', path: '', value: [1, 2] }])
    expect(await reader.mesh.records.get(odd)).toEqual({ version: 1, value: [1, 2] })
  })

  test('two writers with the same expectedVersion: exactly one wins, the other gets VERSION_CONFLICT', async () => {
    const [a, b] = await setup.start()
    const one = await startClient(a!)
    const two = await startClient(b!)
    // expectedVersion 0: "must not exist yet".
    const created = await Promise.allSettled([
      one.mesh.records.write('cas', { by: 'one' }, { expectedVersion: 0 }),
      two.mesh.records.write('cas', { by: 'two' }, { expectedVersion: 0 }),
    ])
    expect(created.filter((r) => r.status === 'fulfilled').map((r) => r.value)).toEqual([{ version: 1 }])
    for (let round = 1; round <= 10; round++) {
      const results = await Promise.allSettled([
        one.mesh.records.write('cas', { by: 'one', round }, { expectedVersion: round }),
        two.mesh.records.write('cas', { by: 'two', round }, { expectedVersion: round }),
      ])
      const won = results.filter((r) => r.status === 'fulfilled')
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(won.map((r) => r.value)).toEqual([{ version: round + 1 }])
      expect(lost).toHaveLength(1)
      const err = lost[0]!.reason as MeshError
      expect(err.code).toBe('VERSION_CONFLICT')
      expect(err.data).toEqual({ version: round + 1 })
      const winner = results[0]!.status === 'fulfilled' ? 'one' : 'two'
      expect(await one.mesh.records.get('cas')).toEqual({ version: round + 1, value: { by: winner, round } })
    }
    // A compare-and-set patch is held to the same rule.
    const stale = await rejectionOf(
      one.mesh.records.patch('cas', [{ op: 'remove', path: '/by' }], { expectedVersion: 3 }),
    )
    expect(stale.code).toBe('VERSION_CONFLICT')
  })

  test('bad ids, non-JSON values and failing patches are typed errors that write nothing', async () => {
    const [a] = await setup.start()
    const client = await startClient(a!)
    await client.mesh.records.write('doc.v', { n: 1 })
    expect((await rejectionOf(client.mesh.records.get(''))).code).toBe('INVALID_ARGUMENTS')
    expect((await rejectionOf(client.mesh.records.write('x'.repeat(257), 1))).code).toBe('INVALID_ARGUMENTS')
    expect((await rejectionOf(client.mesh.records.write('doc.v', new Date()))).code).toBe('INVALID_ARGUMENTS')
    expect(
      (await rejectionOf(client.mesh.records.write('doc.v', { n: 1 }, { expectedVersion: -1 }))).code,
    ).toBe('INVALID_ARGUMENTS')
    const failedTest = await rejectionOf(
      client.mesh.records.patch('doc.v', [
        { op: 'replace', path: '/n', value: 2 },
        { op: 'test', path: '/n', value: 3 },
      ]),
    )
    expect(failedTest.code).toBe('PATCH_FAILED')
    expect(
      (await rejectionOf(client.mesh.records.patch('doc.v', [{ op: 'remove', path: '/nope' }]))).code,
    ).toBe('PATCH_FAILED')
    expect((await rejectionOf(client.mesh.records.patch('doc.v', [{ bogus: 1 }] as never))).code).toBe(
      'INVALID_ARGUMENTS',
    )
    if (setup.cluster) {
      // NATS's max_payload (1 MiB by default) bounds a record in KV; the relay's frames allow more.
      const big = await rejectionOf(client.mesh.records.write('doc.v', { blob: 'x'.repeat(1_100_000) }))
      expect(big.code).toBe('PAYLOAD_TOO_LARGE')
      expect(big.message).toContain('max_payload')
    }
    // All or nothing: the first operation of the failed patch did not stick.
    expect(await client.mesh.records.get('doc.v')).toEqual({ version: 1, value: { n: 1 } })
  })

  test('1000 random writes from two writers: every full and patch watcher ends holding the stored value', async () => {
    const [a, b, c] = await setup.start()
    const id = 'stress'
    // Watchers first (on other relays in the cluster), so they follow the whole run.
    const watchers = await Promise.all([
      startWatcher(b!, id, 'full', 'watcher full b'),
      startWatcher(c!, id, 'full', 'watcher full c'),
      startWatcher(b!, id, 'patch', 'watcher patch b'),
      startWatcher(c!, id, 'patch', 'watcher patch c'),
    ])
    const writers = await Promise.all([
      startRecordsNode('writer 1', {
        RELAY_URL: a,
        RECORD_ID: id,
        ROLE: 'writer',
        WRITES: '500',
        SEED: '11',
      }),
      startRecordsNode('writer 2', {
        RELAY_URL: b,
        RECORD_ID: id,
        ROLE: 'writer',
        WRITES: '500',
        SEED: '22',
      }),
    ])
    const done = await Promise.all(
      writers.map((w) => w.waitForLine(/^(DONE|ERROR) (.*)$/, { timeoutMs: 50_000 })),
    )
    for (const line of done) expect(line[1]).toBe('DONE')
    const counts = done.map((line) => JSON.parse(line[2]!) as Record<string, number>)
    // Every write attempt accounted for (a CAS write retried on conflict counts once, when it won).
    for (const c of counts) expect(c.writes! + c.cas! + c.patches! + c.patchFailed!).toBe(500)
    expect(counts[0]!.patches! + counts[1]!.patches!).toBeGreaterThan(0)

    const client = await startClient(a!)
    const stored = await client.mesh.records.get(id)
    expect(stored).not.toBeNull()
    const written = counts.reduce((sum, c) => sum + c.writes! + c.cas! + c.patches!, 0)
    expect(stored!.version).toBe(written)
    await until(
      'every watcher to reach the stored version',
      async () => (await Promise.all(watchers.map(reportOf))).every((r) => r.version === stored!.version),
      20_000,
    )
    for (const [i, watcher] of watchers.entries()) {
      const report = await reportOf(watcher)
      expect(report.value).toEqual(stored!.value)
      expect(report.increasing).toBe(true)
      // Patch watchers really followed patches (they fall back to full values only on gaps).
      if (i >= 2) expect(report.patches).toBeGreaterThan(0)
      else expect(report.patches).toBe(0)
    }
  }, 90_000)
})

/** A node in this process that connects with a bearer token (the relay maps it to a principal). */
async function startTokenClient(url: string, token: string): Promise<SpiderMesh> {
  const transporter = new WebsocketTransporter({ token, reconnectIntervalMs: 100 })
  const mesh = new SpiderMesh()
  mesh.registerTransporter(transporter)
  track(`token client ${token}`, async () => {
    await mesh.close()
    transporter.close()
  })
  transporter.connect(url)
  await until('the token client to connect', () => transporter.status$.value.get(url) === 'connected')
  return mesh
}

const SECURITY = {
  AUTH_TOKENS: 'rt=reader,wt=writer',
  ACCESS_JSON: JSON.stringify({
    reader: { read: ['doc.*'] },
    writer: { read: ['doc.*', 'secret'], write: ['doc.*'] },
  }),
}

describe.each([
  { name: 'single relay', cluster: false },
  { name: '3-relay cluster', cluster: true },
])('record access rules: $name', ({ cluster }) => {
  test('read and write patterns decide who may get, watch, write and patch; a denial is ACCESS_DENIED', async () => {
    const url = cluster
      ? (await startCluster(['a', 'b', 'c'], {}, { env: SECURITY })).relays[1]!.url
      : (await startRelay({ env: SECURITY })).url
    const writer = await startTokenClient(url, 'wt')
    const reader = await startTokenClient(url, 'rt')
    expect(await writer.records.write('doc.1', { ok: true })).toEqual({ version: 1 })
    expect(await reader.records.get('doc.1')).toEqual({ version: 1, value: { ok: true } })

    const denied = [
      await rejectionOf(reader.records.write('doc.1', { ok: false })),
      await rejectionOf(reader.records.patch('doc.1', [{ op: 'replace', path: '/ok', value: false }])),
      await rejectionOf(writer.records.write('secret', 1)),
      await rejectionOf(reader.records.get('secret')),
      await rejectionOf(firstValueFrom(reader.records.watch('secret'))),
    ]
    expect(denied.map((e) => e.code)).toEqual(Array(5).fill('ACCESS_DENIED'))
    expect(denied[0]!.message).toContain('doc.1')
    // Nothing the denied calls tried was written.
    expect(await writer.records.get('doc.1')).toEqual({ version: 1, value: { ok: true } })
    expect(await writer.records.get('secret')).toBeNull()
  })
})

describe('versioned records across relay restarts', () => {
  test('in memory (a single relay), records do not survive a restart, as the README says', async () => {
    const relay = await startRelay()
    const client = await startClient(relay.url)
    await client.mesh.records.write('doc.gone', { n: 1 })
    expect(await client.mesh.records.get('doc.gone')).toEqual({ version: 1, value: { n: 1 } })
    await relay.proc.stop()
    await startRelay({ port: relay.port, name: 'relay again' })
    await client.connected(relay.url, 10_000)
    expect(await client.mesh.records.get('doc.gone')).toBeNull()
  })

  test('in a cluster (NATS KV), records survive a relay restart, and a watcher of the restarted relay resyncs with a full value', async () => {
    const { nats, relays } = await startCluster(['a', 'b', 'c'])
    const [a, , c] = relays
    const client = await startClient(a!.url)
    await client.mesh.records.write('doc.kept', { n: 1, items: [] })
    const watcher = await startWatcher(c!.url, 'doc.kept', 'patch', 'watcher patch c')
    expect(await reportOf(watcher)).toMatchObject({ version: 1, fulls: 1, patches: 0 })

    // Relay c goes away; the record changes twice while its watcher cannot hear.
    await c!.proc.stop()
    await client.mesh.records.patch('doc.kept', [{ op: 'add', path: '/items/-', value: 'x' }])
    await client.mesh.records.write('doc.kept', { n: 3, items: ['y'] })
    await startRelay({ name: 'relay c again', nats: nats.url, clusterName: 'c', port: c!.port })
    await until('the watcher to resync', async () => (await reportOf(watcher)).version === 3, 15_000)
    const resynced = await reportOf(watcher)
    expect(resynced).toMatchObject({ version: 3, value: { n: 3, items: ['y'] }, increasing: true })
    // The missed versions came as one full value, not as patches.
    expect(resynced.fulls).toBe(2)
    expect(resynced.patches).toBe(0)
    // And the resumed watch follows with patches again.
    await client.mesh.records.patch('doc.kept', [{ op: 'replace', path: '/n', value: 4 }])
    await until('the watcher to follow the patch', async () => (await reportOf(watcher)).version === 4)
    expect(await reportOf(watcher)).toMatchObject({ value: { n: 4, items: ['y'] }, patches: 1, fulls: 2 })

    // Every relay restarting is the same: the record lives in NATS KV, not in a relay.
    await a!.proc.stop()
    const again = await startRelay({ name: 'relay a again', nats: nats.url, clusterName: 'a', port: a!.port })
    const late = await startClient(again.url)
    expect(await late.mesh.records.get('doc.kept')).toEqual({ version: 4, value: { n: 4, items: ['y'] } })
    expect(await firstValueFrom(late.mesh.records.watch('doc.kept'))).toEqual({
      version: 4,
      value: { n: 4, items: ['y'] },
    })
  }, 60_000)

  test('in a cluster, watchers keep following after the nats-server restarts (the KV store is kept)', async () => {
    const { nats, relays } = await startCluster(['a', 'b', 'c'])
    const client = await startClient(relays[0]!.url)
    await client.mesh.records.write('doc.nats', { n: 1 })
    const watcher = await startWatcher(relays[1]!.url, 'doc.nats', 'patch', 'watcher patch b')
    nats.kill()
    await nats.restart()
    // Writes fail with CLUSTER_UNAVAILABLE until relay a has reconnected; then one goes through.
    let n = 1
    await until(
      'a write through relay a after the NATS restart',
      async () => {
        try {
          await client.mesh.records.write('doc.nats', { n: ++n })
          return true
        } catch (err) {
          if ((err as MeshError).code !== 'CLUSTER_UNAVAILABLE') throw err
          return false
        }
      },
      20_000,
    )
    const stored = await client.mesh.records.get('doc.nats')
    expect(stored!.value).toEqual({ n })
    await until(
      'the watcher to follow',
      async () => (await reportOf(watcher)).version === stored!.version,
      20_000,
    )
    expect(await reportOf(watcher)).toMatchObject({ value: { n }, increasing: true })
  }, 60_000)

  test('a cluster whose nats-server runs without JetStream fails record calls with STORE_UNAVAILABLE', async () => {
    const { relays } = await startCluster(['a'], { jetstream: false })
    const client = await startClient(relays[0]!.url)
    const write = await rejectionOf(client.mesh.records.write('doc.1', 1))
    expect(write.code).toBe('STORE_UNAVAILABLE')
    expect(write.message).toContain('JetStream')
    const watch = await rejectionOf(firstValueFrom(client.mesh.records.watch('doc.1')))
    expect(watch.code).toBe('STORE_UNAVAILABLE')
  }, 30_000)
})
