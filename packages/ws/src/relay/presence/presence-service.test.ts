import { afterEach, describe, expect, test } from 'bun:test'
import { ErrorCode, type PresenceMember, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { filter, firstValueFrom, type Observable, type Subscription } from 'rxjs'
import { codeOf } from '../../code-of.test-helper.js'
import { WebsocketTransporter } from '../../node.js'
import { WebsocketRelayServer } from '../../relay-server.js'
import { MAX_STATE_TOPICS } from './local-presence.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function relay(port: number = 0): Promise<{ server: WebsocketRelayServer; url: string }> {
  const server = new WebsocketRelayServer({ host: '127.0.0.1', port, logger: silentLogger })
  await server.ready
  cleanups.push(() => server.close())
  return { server, url: `ws://127.0.0.1:${server.port}` }
}

async function node(
  url: string,
  nodeId: string,
  meta: Record<string, string> = {},
  transporterMeta: Record<string, string> = {},
): Promise<SpiderMesh> {
  const transporter = new WebsocketTransporter({
    reconnectIntervalMs: 50,
    unsubscribeDelayMs: 10,
    onWarning: () => {},
    meta: transporterMeta,
  })
  transporter.connect(url)
  const mesh = new SpiderMesh({ nodeId, logger: silentLogger, meta }).registerTransporter(transporter)
  cleanups.push(async () => {
    await mesh.close()
    transporter.close()
  })
  await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'connected')))
  return mesh
}

/** Resolves with the first list passing `check` (5 s at most). */
function listWhere(
  lists: Observable<PresenceMember[]>,
  check: (list: PresenceMember[]) => boolean,
): Promise<PresenceMember[]> {
  let subscription: Subscription | undefined
  return new Promise<PresenceMember[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such presence list within 5 s')), 5000)
    subscription = lists.subscribe({
      next: (list) => {
        if (!check(list)) return
        clearTimeout(timer)
        resolve(list)
      },
      error: reject,
    })
  }).finally(() => subscription?.unsubscribe())
}

const ids = (list: PresenceMember[]) => list.map((m) => m.nodeId).join()

describe('$presence on one relay', () => {
  test('twenty nodes joining at once end in one list of twenty, sorted, each with its meta', async () => {
    const { url } = await relay()
    const watcher = await node(url, 'watcher')
    const seen: PresenceMember[][] = []
    const watching = watcher.presence('burst').subscribe((list) => seen.push(list))
    cleanups.push(() => watching.unsubscribe())
    await listWhere(watcher.presence('burst'), (l) => l.length === 0)
    const nodes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => node(url, `n-${String(i).padStart(2, '0')}`, { n: String(i) })),
    )
    const subscriptions = nodes.map((mesh) => mesh.listen('burst').subscribe())
    cleanups.push(() => {
      for (const s of subscriptions) s.unsubscribe()
    })
    const full = await listWhere(watcher.presence('burst'), (l) => l.length === 20)
    expect(full.map((m) => m.nodeId)).toEqual(nodes.map((m) => m.nodeId))
    expect(full.map((m) => m.meta.n)).toEqual(nodes.map((_, i) => String(i)))
    expect(full.every((m) => m.relay === 'local' && m.principal === undefined)).toBe(true)
    // Lists only grow while nodes join: none is lost or reordered.
    await listWhere(watcher.presence('burst'), (l) => l.length === 20)
    expect(seen.at(-1)?.length).toBe(20)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.length).toBeGreaterThanOrEqual(seen[i - 1]!.length)
  })

  test("a member's meta is the mesh's and the transporter's labels, with version and runtime", async () => {
    const { url } = await relay()
    const labelled = await node(url, 'labelled', { role: 'editor' }, { zone: 'eu-1' })
    labelled.listen('meta').subscribe()
    const [member] = await listWhere(labelled.presence('meta'), (l) => l.length === 1)
    expect(member!.meta).toMatchObject({ role: 'editor', zone: 'eu-1', runtime: 'bun' })
    expect(typeof member!.meta.version).toBe('string')
  })

  test('the relay refuses bad arguments, unknown methods and too many held states', async () => {
    const { url } = await relay()
    const mesh = await node(url, 'caller')
    // Straight to the relay, past the client's own checks.
    const call = (method: string, args: unknown[]) =>
      new Promise((resolve, reject) => {
        mesh.request(
          '$presence',
          method,
          args,
          { timeout: 5000 },
          { next: resolve, error: reject, complete: () => {} },
        )
      })
    expect(await codeOf(call('set', ['t', 1, -1]))).toBe(ErrorCode.INVALID_ARGUMENTS)
    expect(await codeOf(call('set', ['t', 1, 1.5]))).toBe(ErrorCode.INVALID_ARGUMENTS)
    expect(await codeOf(call('set', ['', 1]))).toBe(ErrorCode.INVALID_ARGUMENTS)
    expect(await codeOf(call('set', ['t', 'x'.repeat(20_000)]))).toBe(ErrorCode.INVALID_ARGUMENTS)
    expect(await codeOf(call('watch', [42]))).toBe(ErrorCode.INVALID_ARGUMENTS)
    expect(await codeOf(call('nope', ['t']))).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
    expect(() => mesh.setPresence('t', 1, { ttlMs: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
    await Promise.all(Array.from({ length: MAX_STATE_TOPICS }, (_, i) => mesh.setPresence(`t${i}`, i)))
    expect(await codeOf(mesh.setPresence('one-more', 1))).toBe(ErrorCode.INVALID_ARGUMENTS)
    // Clearing one makes room again.
    await mesh.setPresence('t0', null)
    await mesh.setPresence('one-more', 1)
  })

  test('after the relay restarts, a node sets its states again (those whose TTL has not passed)', async () => {
    const first = await relay()
    const port = first.server.port!
    const holder = await node(first.url, 'holder')
    const watcher = await node(first.url, 'watcher')
    await holder.setPresence('desk', 'away')
    await holder.setPresence('short', 'gone soon', { ttlMs: 200 })
    await listWhere(watcher.presence('desk'), (l) => ids(l) === 'holder' && l[0]!.state === 'away')
    await first.server.close()
    await new Promise((r) => setTimeout(r, 300))
    const second = await relay(port)
    expect(second.url).toBe(first.url)
    const again = await listWhere(watcher.presence('desk'), (l) => ids(l) === 'holder')
    expect(again[0]!.state).toBe('away')
    // The expired state was not set again on the new relay.
    const short = await listWhere(watcher.presence('short'), () => true)
    expect(short).toEqual([])
  })
})

describe('$presence with topic history', () => {
  test('a node listening with history is a member, counted once with its plain listener of the topic', async () => {
    const server = new WebsocketRelayServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      topics: { 'room.*': { retain: 5 } },
    })
    await server.ready
    cleanups.push(() => server.close())
    const url = `ws://127.0.0.1:${server.port}`
    const watcher = await node(url, 'watcher')
    const member = await node(url, 'member')
    const history = member.listen('room.1', { history: 5 }).subscribe()
    await listWhere(watcher.presence('room.1'), (l) => ids(l) === 'member')
    const plain = member.listen('room.1').subscribe()
    await Bun.sleep(50)
    history.unsubscribe()
    // Still listening through the plain listener: still a member (the transporter unsubscribes 10 ms after the last).
    await Bun.sleep(100)
    expect(ids(await firstValueFrom(watcher.presence('room.1')))).toBe('member')
    plain.unsubscribe()
    await listWhere(watcher.presence('room.1'), (l) => l.length === 0)
  })
})

describe('relay-hosted calls from a node', () => {
  test('a watch completes, not fails, when its own mesh closes (as a plain listener does)', async () => {
    const { url } = await relay()
    const mesh = await node(url, 'closer')
    await listWhere(mesh.presence('t'), () => true)
    const ended = new Promise<string>((resolve) =>
      mesh
        .presence('t')
        .subscribe({ complete: () => resolve('complete'), error: (e) => resolve(`error ${e.code}`) }),
    )
    await Bun.sleep(20)
    await mesh.close()
    expect(await ended).toBe('complete')
  })

  test('a unary call made before the relay is reached waits for it (until its timeout) instead of failing', async () => {
    // A port nothing listens on yet: the node keeps reconnecting; the relay comes up later.
    const probe = await relay()
    const port = probe.server.port!
    await probe.server.close()
    const transporter = new WebsocketTransporter({ reconnectIntervalMs: 50, onWarning: () => {} })
    transporter.connect(`ws://127.0.0.1:${port}`)
    const mesh = new SpiderMesh({ nodeId: 'early', logger: silentLogger }).registerTransporter(transporter)
    cleanups.push(async () => {
      await mesh.close()
      transporter.close()
    })
    const read = mesh.records.get('doc').then((r) => r)
    await Bun.sleep(300)
    await relay(port)
    expect(await read).toBeNull()
    // Without any transporter that could carry it, the call fails at once (no wait).
    const alone = new SpiderMesh({ nodeId: 'alone', logger: silentLogger })
    cleanups.push(() => alone.close())
    expect(await codeOf(alone.records.get('doc'))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
})
