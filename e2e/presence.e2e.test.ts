import { describe, expect, test } from 'bun:test'
import type { PresenceMember } from '@spider-mesh/core'
import {
  ADAPTERS,
  type ManagedProcess,
  type RelayProcess,
  relayJson,
  spawnFixture,
  startCluster,
  startNatsServer,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

/** Relays ping every 200 ms, so a silent node is dropped after 500 ms. */
const HEARTBEAT_MS = 200

interface Setup {
  name: string
  /** The relays, and their names as presence lists show them. */
  start(env?: Record<string, string>): Promise<{ relays: RelayProcess[]; names: string[] }>
}

const SETUPS: Setup[] = [
  ...ADAPTERS.map((adapter) => ({
    name: `${adapter} relay`,
    start: async (env?: Record<string, string>) => ({
      relays: [await startRelay({ adapter, heartbeatMs: HEARTBEAT_MS, env })],
      names: ['local'],
    }),
  })),
  {
    name: '3-relay cluster',
    start: async (env?: Record<string, string>) => ({
      relays: (await startCluster(['a', 'b', 'c'], { heartbeatMs: HEARTBEAT_MS }, { env })).relays,
      names: ['a', 'b', 'c'],
    }),
  },
]

/** A node process (e2e/fixtures/presence-node.ts) connected to `relay`. */
async function node(
  relay: RelayProcess | RelayProcess[],
  nodeId: string,
  meta: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ManagedProcess> {
  const proc = spawnFixture(`presence ${nodeId}`, 'presence-node.ts', {
    RELAY_URL: [relay]
      .flat()
      .map((r) => r.url)
      .join(','),
    NODE_ID: nodeId,
    META_JSON: JSON.stringify(meta),
    ...env,
  })
  await proc.waitForLine(new RegExp(`^READY ${nodeId}$`))
  return proc
}

/** Every list a watcher printed for `topic` (topics here are plain words). */
const lists = (watcher: ManagedProcess, topic: string): PresenceMember[][] =>
  watcher.matching(new RegExp(`^PRESENCE ${topic} (.*)$`)).map((m) => JSON.parse(m[1]!))

const ids = (list: PresenceMember[]): string[] => list.map((m) => m.nodeId)

/** Waits until every watcher's latest list of `topic` passes `check`; returns those lists. */
async function latest(
  watchers: ManagedProcess[],
  topic: string,
  what: string,
  check: (list: PresenceMember[]) => boolean,
  ms = 15_000,
): Promise<PresenceMember[][]> {
  await until(
    `every watcher's list of ${topic} to show ${what}`,
    () =>
      watchers.every((w) => {
        const last = lists(w, topic).at(-1)
        return last !== undefined && check(last)
      }),
    ms,
  )
  return watchers.map((w) => lists(w, topic).at(-1)!)
}

/** One watcher per relay, each watching `topic`, each having printed its first list. */
async function watchers(
  relays: RelayProcess[],
  topic: string,
  prefix = 'watcher',
): Promise<ManagedProcess[]> {
  const all = await Promise.all(relays.map((relay, i) => node(relay, `${prefix}-${i}`)))
  for (const w of all) w.write(`WATCH ${topic}`)
  await latest(all, topic, 'a first list', () => true)
  return all
}

for (const setup of SETUPS) {
  describe(`presence (${setup.name})`, () => {
    test('listeners appear with their meta and relay on every relay, and leave when they unsubscribe', async () => {
      const { relays, names } = await setup.start()
      const seeing = await watchers(relays, 'room')
      expect(seeing.map((w) => lists(w, 'room')[0])).toEqual(relays.map(() => []))
      const first = relays[0]!
      const last = relays.at(-1)!
      const editor = await node(first, 'n-editor', { role: 'editor', region: 'eu' })
      const viewer = await node(last, 'n-viewer', { role: 'viewer' })
      editor.write('LISTEN room')
      viewer.write('LISTEN room')
      const both = await latest(seeing, 'room', 'both nodes', (l) => ids(l).join() === 'n-editor,n-viewer')
      for (const list of both) {
        expect(list[0]).toMatchObject({
          nodeId: 'n-editor',
          meta: { role: 'editor', region: 'eu' },
          relay: names[0],
        })
        expect(list[1]).toMatchObject({ nodeId: 'n-viewer', meta: { role: 'viewer' }, relay: names.at(-1) })
        expect(list[0]!.state).toBeUndefined()
      }
      // The relay's /directory shows the same meta.
      const directory = await relayJson<{ nodes: { node_id: string; meta: Record<string, string> }[] }>(
        first,
        '/directory',
      )
      expect(directory.nodes.find((n) => n.node_id === 'n-editor')?.meta).toMatchObject({ role: 'editor' })

      editor.write('UNLISTEN room')
      await latest(seeing, 'room', 'only the viewer', (l) => ids(l).join() === 'n-viewer')
      viewer.write('UNLISTEN room')
      await latest(seeing, 'room', 'nobody', (l) => l.length === 0)
      // Each watcher saw the editor join before the viewer's leave emptied the list.
      for (const w of seeing) expect(lists(w, 'room').some((l) => ids(l).includes('n-editor'))).toBe(true)
    })

    test('setPresence state shows, changes, clears, and goes when its TTL passes', async () => {
      const { relays } = await setup.start()
      const seeing = await watchers(relays, 'doc')
      const reader = await node(relays[0]!, 'n-reader')
      const typist = await node(relays.at(-1)!, 'n-typist')
      reader.write('LISTEN doc')
      await latest(seeing, 'doc', 'the reader', (l) => ids(l).join() === 'n-reader')

      // A node that does not listen is a member while it holds state.
      typist.write('SET doc {"typing":true} 1500')
      await typist.waitForLine(/^SET_DONE doc$/)
      const typing = await latest(
        seeing,
        'doc',
        'the typist typing',
        (l) => ids(l).join() === 'n-reader,n-typist',
      )
      for (const list of typing) expect(list[1]!.state).toEqual({ typing: true })
      await latest(seeing, 'doc', 'the typist gone after its TTL', (l) => ids(l).join() === 'n-reader')

      reader.write('SET doc "away"')
      await latest(seeing, 'doc', 'the reader away', (l) => l[0]?.state === 'away')
      reader.write('SET doc null')
      const cleared = await latest(
        seeing,
        'doc',
        'the reader without state',
        (l) => l[0]?.state === undefined,
      )
      expect(cleared.map(ids)).toEqual(relays.map(() => ['n-reader']))

      reader.write('SET doc 1 -5')
      await reader.waitForLine(/^SET_ERROR doc INVALID_OPTION$/)
    })

    test('a node killed with SIGKILL leaves every list, state and all', async () => {
      const { relays } = await setup.start()
      const seeing = await watchers(relays, 'lobby')
      const doomed = await node(relays[0]!, 'n-doomed')
      const survivor = await node(relays.at(-1)!, 'n-survivor')
      doomed.write('LISTEN lobby')
      doomed.write('SET lobby {"status":"here"}')
      survivor.write('LISTEN lobby')
      await latest(
        seeing,
        'lobby',
        'both, the doomed one with state',
        (l) =>
          ids(l).join() === 'n-doomed,n-survivor' && (l[0]!.state as { status?: string })?.status === 'here',
      )
      doomed.kill('SIGKILL')
      await latest(seeing, 'lobby', 'only the survivor', (l) => ids(l).join() === 'n-survivor')
    })

    test('a node that stops answering (SIGSTOP: its socket stays open) leaves at the heartbeat deadline', async () => {
      const { relays } = await setup.start()
      const seeing = await watchers(relays, 'quiet')
      const frozen = await node(relays[0]!, 'n-frozen')
      frozen.write('LISTEN quiet')
      await latest(seeing, 'quiet', 'the node', (l) => ids(l).join() === 'n-frozen')
      frozen.kill('SIGSTOP')
      try {
        await latest(seeing, 'quiet', 'nobody', (l) => l.length === 0)
      } finally {
        frozen.kill('SIGKILL')
      }
    })

    test('presence needs the presence (by default subscribe) right; the principal is shown', async () => {
      const { relays } = await setup.start({
        AUTH_TOKENS: 'tok-alice=alice,tok-guest=guest,tok-lurker=lurker',
        ACCESS_JSON: JSON.stringify({
          alice: { subscribe: ['*'] },
          guest: { subscribe: ['public'] },
          lurker: { subscribe: ['*'], presence: ['public'] },
        }),
      })
      const alice = await node(relays.at(-1)!, 'n-alice', {}, { MESH_TOKEN: 'tok-alice' })
      const guest = await node(relays[0]!, 'n-guest', {}, { MESH_TOKEN: 'tok-guest' })
      guest.write('WATCH secret')
      await guest.waitForLine(/^PRESENCE_ERROR secret ACCESS_DENIED$/)
      guest.write('SET secret 1')
      await guest.waitForLine(/^SET_ERROR secret ACCESS_DENIED$/)
      guest.write('WATCH public')
      alice.write('WATCH public')
      guest.write('LISTEN public')
      const [seenByGuest, seenByAlice] = await latest([guest, alice], 'public', 'the guest', (l) =>
        ids(l).includes('n-guest'),
      )
      expect(seenByGuest!.find((m) => m.nodeId === 'n-guest')?.principal).toBe('guest')
      expect(seenByAlice!.find((m) => m.nodeId === 'n-guest')?.principal).toBe('guest')
      expect(lists(guest, 'secret')).toEqual([])
      // An explicit presence list narrows what the subscribe list would allow.
      const lurker = await node(relays[0]!, 'n-lurker', {}, { MESH_TOKEN: 'tok-lurker' })
      lurker.write('WATCH secret')
      await lurker.waitForLine(/^PRESENCE_ERROR secret ACCESS_DENIED$/)
      lurker.write('WATCH public')
      await latest([lurker], 'public', 'the guest', (l) => ids(l).includes('n-guest'))
    })
  })
}

describe('presence in a cluster: relays that die', () => {
  test('a relay killed with SIGKILL takes its nodes out of the other relays’ lists', async () => {
    const { relays } = await startCluster(['a', 'b', 'c'], { heartbeatMs: HEARTBEAT_MS })
    const [a, b, c] = relays as [RelayProcess, RelayProcess, RelayProcess]
    const seeing = await watchers([b, c], 'hall')
    const onA = await node(a, 'n-on-a')
    const onC = await node(c, 'n-on-c')
    onA.write('LISTEN hall')
    onA.write('SET hall "busy"')
    onC.write('LISTEN hall')
    const both = await latest(seeing, 'hall', 'both nodes', (l) => ids(l).join() === 'n-on-a,n-on-c')
    for (const list of both) expect(list[0]).toMatchObject({ relay: 'a', state: 'busy' })
    a.proc.kill('SIGKILL')
    await latest(seeing, 'hall', 'only the node on C', (l) => ids(l).join() === 'n-on-c')
  })

  test('entries of a relay that died before the others started expire (max_age; no relay saw it lost)', async () => {
    const nats = await startNatsServer({ jetstream: true })
    const cluster = { nats: nats.url, heartbeatMs: HEARTBEAT_MS }
    const a = await startRelay({ ...cluster, name: 'relay a', clusterName: 'a' })
    const early = await watchers([a], 'attic', 'early')
    const ghost = await node(a, 'n-ghost')
    ghost.write('LISTEN attic')
    await latest(early, 'attic', 'the node', (l) => ids(l).join() === 'n-ghost')
    // Written to the bucket: a watcher on A sees it through A's own table, so give the write time.
    await new Promise((resolve) => setTimeout(resolve, 500))
    a.proc.kill('SIGKILL')
    ghost.kill('SIGKILL')
    const b = await startRelay({ ...cluster, name: 'relay b', clusterName: 'b' })
    const late = await watchers([b], 'attic', 'late')
    // The bucket's max_age is 15 s: allow twice that.
    const [list] = await latest(late, 'attic', 'the dead relay’s node gone', (l) => l.length === 0, 30_000)
    expect(list).toEqual([])
    // It was there at first: B loaded it from the bucket, then dropped it when it was not rewritten.
    expect(lists(late[0]!, 'attic')[0]!.map((m) => m.nodeId)).toEqual(['n-ghost'])
  })

  test('after nats-server restarts, a watcher on another relay still follows joins and leaves', async () => {
    const { nats, relays } = await startCluster(['a', 'b'], { heartbeatMs: HEARTBEAT_MS })
    const [a, b] = relays as [RelayProcess, RelayProcess]
    const seeing = await watchers([b], 'porch')
    const before = await node(a, 'n-before')
    before.write('LISTEN porch')
    await latest(seeing, 'porch', 'the first node', (l) => ids(l).join() === 'n-before')
    nats.kill()
    await nats.restart()
    const after = await node(a, 'n-after')
    after.write('LISTEN porch')
    await latest(seeing, 'porch', 'both nodes', (l) => ids(l).join() === 'n-after,n-before', 30_000)
    before.write('UNLISTEN porch')
    await latest(seeing, 'porch', 'the second node only', (l) => ids(l).join() === 'n-after', 30_000)
  })

  test('a restarted relay starts empty; its nodes reconnect and set their state again', async () => {
    const { nats, relays } = await startCluster(['a', 'c'], { heartbeatMs: HEARTBEAT_MS })
    const [a, c] = relays as [RelayProcess, RelayProcess]
    const seeing = await watchers([c], 'desk')
    const holder = await node(a, 'n-holder')
    holder.write('SET desk "busy"')
    await latest(
      seeing,
      'desk',
      'the holder busy',
      (l) => ids(l).join() === 'n-holder' && l[0]!.state === 'busy',
    )
    await a.proc.stop()
    await latest(seeing, 'desk', 'nobody while relay a is down', (l) => l.length === 0)
    await startRelay({
      port: a.port,
      nats: nats.url,
      clusterName: 'a',
      heartbeatMs: HEARTBEAT_MS,
      name: 'relay a again',
    })
    const [back] = await latest(
      seeing,
      'desk',
      'the holder back',
      (l) => ids(l).join() === 'n-holder',
      30_000,
    )
    expect(back![0]).toMatchObject({ nodeId: 'n-holder', state: 'busy', relay: 'a' })
  })

  test('a node connected to two relays is listed once, and stays while one of its relays is up', async () => {
    const { relays } = await startCluster(['a', 'b', 'c'], { heartbeatMs: HEARTBEAT_MS })
    const [a, b, c] = relays as [RelayProcess, RelayProcess, RelayProcess]
    const seeing = await watchers([c], 'twice')
    const both = await node([a, b], 'n-twice', { role: 'double' })
    both.write('LISTEN twice')
    const [list] = await latest(seeing, 'twice', 'the node', (l) => ids(l).join() === 'n-twice')
    expect(list![0]).toMatchObject({ meta: { role: 'double' } })
    // Both relays wrote an entry: stopping one must not take the node out of the list.
    const from = seeing[0]!.mark()
    await a.proc.stop()
    await latest(
      seeing,
      'twice',
      'the node, through b',
      (l) => ids(l).join() === 'n-twice' && l[0]!.relay === 'b',
    )
    // Let c hear a's goodbye and its deletes (any list they cause comes within this second).
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const since = seeing[0]!
      .matching(/^PRESENCE twice (.*)$/, from)
      .map((m) => JSON.parse(m[1]!) as PresenceMember[])
    expect(since.map(ids)).toEqual(since.map(() => ['n-twice']))
  })
})
