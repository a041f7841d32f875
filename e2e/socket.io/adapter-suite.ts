/**
 * The behaviours of `@spider-mesh/socket.io`, run with three real Socket.IO server processes
 * (each with real clients) on whatever relays `start` gives: one relay, or three relays of a
 * NATS cluster. Each test makes its own clients in rooms named after it, so tests share the
 * servers without seeing each other's sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { releaseSuite, until, within } from '../harness/index.js'
import {
  bytes,
  connectClient,
  type SocketIoServer,
  startSocketIoServer,
  type TestSocket,
} from './socketio-processes.js'

/** Where the servers connect: one relay URL per server, and one for the extra servers. */
export interface SuiteRelays {
  servers: [string, string, string]
  extra: string
}

// Short heartbeats, so a killed server is dropped within seconds; long enough for a busy machine.
const HEARTBEAT = { heartbeatInterval: 500, heartbeatTimeout: 3000 }

/** Runs the suite under `label` on the relays `start` brings up (in `beforeAll`). */
export function adapterSuite(label: string, start: () => Promise<SuiteRelays>): void {
  describe(label, () => {
    let relays: SuiteRelays
    let servers: [SocketIoServer, SocketIoServer, SocketIoServer]
    let tags = 0

    beforeAll(async () => {
      relays = await start()
      servers = (await Promise.all(
        relays.servers.map((relayUrl, i) =>
          startSocketIoServer({ relayUrl, name: `s${i + 1}`, ...HEARTBEAT }),
        ),
      )) as typeof servers
      for (const nsp of ['/', '/admin']) await allCount(servers, nsp, 3)
    })
    afterAll(() => releaseSuite())

    /**
     * Two clients per server, all in the test's room `<tag>`; `<tag>-red` holds s1a, s2a, s2b and
     * `<tag>-blue` holds s1b, s2b, s3a.
     */
    async function sixClients(nsp = '/', answers: Record<string, (...args: unknown[]) => unknown> = {}) {
      const tag = `t${++tags}${nsp === '/' ? '' : '-admin'}`
      const plan: [number, string, string[]][] = [
        [0, 's1a', ['red']],
        [0, 's1b', ['blue']],
        [1, 's2a', ['red']],
        [1, 's2b', ['red', 'blue']],
        [2, 's3a', ['blue']],
        [2, 's3b', []],
      ]
      const clients = await Promise.all(
        plan.map(([i, user, rooms]) =>
          connectClient(servers[i]!, {
            user: `${tag}-${user}`,
            nsp,
            rooms: [tag, ...rooms.map((r) => `${tag}-${r}`)],
            answers,
          }),
        ),
      )
      const by = (suffix: string) => clients.find((c) => c.user === `${tag}-${suffix}`)!
      return { tag, clients, by }
    }

    /** Emits `sync` from `server` to the tag's room and waits until every client has it. */
    async function synced(server: SocketIoServer, tag: string, clients: TestSocket[], nsp = '/') {
      await server.run('emit', { nsp, rooms: [tag], event: 'sync', args: [tag] })
      await Promise.all(clients.map((c) => c.next('sync')))
    }

    const names = (list: TestSocket[]) => list.map((c) => c.user.split('-').pop()).sort()

    test('a broadcast reaches every client on every server; a namespace’s only that namespace', async () => {
      const { tag, clients } = await sixClients()
      const admin = await sixClients('/admin')
      await servers[0].run('emit', { rooms: [tag], event: 'news', args: ['to all', { n: 1 }] })
      for (const c of clients) expect(await c.next('news')).toEqual(['to all', { n: 1 }])
      await servers[1].run('emit', { nsp: '/admin', event: 'news', args: ['to admins'] })
      for (const c of admin.clients) expect(await c.next('news')).toEqual(['to admins'])
      await synced(servers[1], tag, clients)
      // In order on every path: a client that has `sync` and not the admins' news never gets it.
      for (const c of clients) expect(c.received.filter((r) => r.event === 'news')).toHaveLength(1)
      await synced(servers[0], admin.tag, admin.clients, '/admin')
      for (const c of admin.clients) expect(c.got('news', (a) => a[0] === 'to all')).toBe(false)
    })

    test('to a room, to a room except another, and local only', async () => {
      const { tag, clients } = await sixClients()
      await servers[2].run('emit', { rooms: [`${tag}-red`], event: 'red' })
      await servers[0].run('emit', { rooms: [`${tag}-red`], except: [`${tag}-blue`], event: 'redNotBlue' })
      await servers[1].run('emit', { rooms: [tag], local: true, event: 'local' })
      // Order holds per sending server, not across servers (in a cluster they take different
      // relays): sync behind each of the three emits, not only behind the last server's.
      for (const server of servers) await synced(server, tag, clients)
      expect(names(clients.filter((c) => c.got('red')))).toEqual(['s1a', 's2a', 's2b'])
      expect(names(clients.filter((c) => c.got('redNotBlue')))).toEqual(['s1a', 's2a'])
      expect(names(clients.filter((c) => c.got('local')))).toEqual(['s2a', 's2b'])
    })

    test('a broadcast with acks collects every client’s answer, binary ones too', async () => {
      const { tag, clients } = await sixClients('/', {
        ask: (x) => ({ got: [...(x as Uint8Array)], binary: new Uint8Array([7, 8, 9]) }),
      })
      const answers = await servers[0].run<{ got: number[]; binary: { $bytes: number[] } }[]>('emitWithAck', {
        rooms: [tag],
        timeout: 3000,
        event: 'ask',
        args: [bytes(new Uint8Array([1, 2, 3]))],
      })
      expect(answers).toHaveLength(6)
      for (const answer of answers) expect(answer).toEqual({ got: [1, 2, 3], binary: { $bytes: [7, 8, 9] } })
      // The binary argument reached the clients of the other servers as bytes, not as JSON.
      for (const c of clients) expect((await c.next('ask'))[0]).toBeInstanceOf(Uint8Array)
    })

    test('a broadcast with acks to no client resolves with none at once; a silent client times out', async () => {
      const { tag } = await sixClients('/', { ask: () => 'ok' })
      const started = Date.now()
      expect(
        await servers[1].run('emitWithAck', { rooms: [`${tag}-nobody`], timeout: 4000, event: 'ask' }),
      ).toEqual([])
      // Every server said "0 clients": no wait for the timeout.
      expect(Date.now() - started).toBeLessThan(3000)
      // No client answers `mute`: the call fails after its timeout.
      const failure = await servers[1].run('emitWithAck', { rooms: [tag], timeout: 500, event: 'mute' }).then(
        () => 'resolved',
        (err: Error) => err.message,
      )
      expect(failure).toContain('timed out')
    })

    test('socketsJoin and socketsLeave for all, for a room, and for one socket on another server', async () => {
      const { tag, by } = await sixClients()
      // A room change is published, not awaited on the other servers: wait until all applied it.
      const fetchIn = (room: string, expected: string[]) => {
        let got: unknown
        return until(`${room} to hold ${expected}`, async () => {
          const sockets = await servers[1].run<{ data: { user: string } }[]>('fetchSockets', {
            rooms: [room],
          })
          got = sockets.map((s) => s.data.user.split('-').pop()).sort()
          return Bun.deepEquals(got, expected)
        }).catch((err: Error) => {
          throw new Error(`${err.message}; last: ${JSON.stringify(got)}`)
        })
      }
      await servers[0].run('socketsJoin', { rooms: [tag], room: `${tag}-green` })
      await fetchIn(`${tag}-green`, ['s1a', 's1b', 's2a', 's2b', 's3a', 's3b'])
      await servers[2].run('socketsLeave', { rooms: [`${tag}-red`], room: `${tag}-green` })
      await fetchIn(`${tag}-green`, ['s1b', 's3a', 's3b'])
      await servers[0].run('socketsJoin', { rooms: [by('s3a').socket.id!], room: `${tag}-solo` })
      await fetchIn(`${tag}-solo`, ['s3a'])
      await servers[1].run('socketsLeave', { rooms: [by('s3a').socket.id!], room: `${tag}-green` })
      await fetchIn(`${tag}-green`, ['s1b', 's3b'])
    })

    test('disconnectSockets for one socket on another server, for a room, then for all', async () => {
      const { tag, clients, by } = await sixClients()
      const gone = () => names(clients.filter((c) => c.got('disconnect')))
      await servers[0].run('disconnectSockets', { rooms: [by('s3b').socket.id!] })
      expect(await by('s3b').next('disconnect')).toEqual(['io server disconnect'])
      await servers[2].run('disconnectSockets', { rooms: [`${tag}-blue`] })
      await Promise.all(['s1b', 's2b', 's3a'].map((u) => by(u).next('disconnect')))
      await synced(
        servers[1],
        tag,
        clients.filter((c) => !c.got('disconnect')),
      )
      expect(gone()).toEqual(['s1b', 's2b', 's3a', 's3b'])
      await servers[1].run('disconnectSockets', { close: true })
      await Promise.all(clients.map((c) => c.next('disconnect')))
    })

    test('fetchSockets returns the sockets of every server: ids, rooms, data; timeout() when one is silent', async () => {
      const { tag, clients, by } = await sixClients()
      type Fetched = {
        id: string
        rooms: string[]
        data: { user: string; server: string }
        dateKept: boolean
      }
      const sockets = await servers[2].run<Fetched[]>('fetchSockets', { rooms: [tag] })
      expect(sockets.map((s) => s.id).sort()).toEqual(clients.map((c) => c.socket.id!).sort())
      for (const s of sockets) {
        const client = clients.find((c) => c.socket.id === s.id)!
        expect(s.data).toMatchObject({
          user: client.user,
          server: client.server,
          joinedAt: new Date(0).toJSON(),
        })
        expect(s.dateKept).toBe(true)
        expect(s.rooms).toContain(tag)
        expect(s.rooms).toContain(s.id)
      }
      expect(sockets.find((s) => s.id === by('s2b').socket.id)!.rooms.sort()).toEqual(
        [by('s2b').socket.id!, tag, `${tag}-blue`, `${tag}-red`].sort(),
      )
      // s3 is stopped (SIGSTOP): counted by the others, but it cannot answer.
      servers[2].proc.kill('SIGSTOP')
      try {
        const failure = await servers[0].run('fetchSockets', { rooms: [tag], timeout: 300 }).then(
          () => 'resolved',
          (err: Error) => err.message,
        )
        expect(failure).toContain('timeout reached')
      } finally {
        servers[2].proc.kill('SIGCONT')
      }
      expect(await servers[0].run<Fetched[]>('fetchSockets', { rooms: [tag], timeout: 3000 })).toHaveLength(6)
    })

    test('serverSideEmit reaches the other servers, not itself; with acks it gathers their answers', async () => {
      const [s1, s2, s3] = servers
      const marks = servers.map((s) => s.proc.mark())
      await s1.run('serverSideEmit', { event: 'news', args: ['from s1'] })
      for (const i of [1, 2]) {
        await servers[i]!.proc.waitForLine(/^SERVER_EVENT .*from s1/, { from: marks[i]! })
      }
      await s2.run('serverSideEmit', { event: 'news', args: ['from s2'] })
      await s1.proc.waitForLine(/^SERVER_EVENT .*from s2/, { from: marks[0]! })
      // s1 has s2's later message and not its own: it never hears itself.
      expect(s1.proc.matching(/^SERVER_EVENT .*from s1/, marks[0]!)).toHaveLength(0)
      const answers = await s3.run<{ from: string; arg: string }[]>('serverSideEmitWithAck', {
        event: 'ping',
        args: ['hi'],
      })
      expect(answers.map((a) => a.from).sort()).toEqual(['s1', 's2'])
      for (const a of answers) expect(a).toMatchObject({ nsp: '/', arg: 'hi' })
      const admins = await s1.run<{ nsp: string }[]>('serverSideEmitWithAck', {
        nsp: '/admin',
        event: 'ping',
      })
      expect(admins.map((a) => a.nsp)).toEqual(['/admin', '/admin'])
    })

    test('serverSideEmitWithAck fails after its timeout when servers do not answer', async () => {
      const started = Date.now()
      const failure = await servers[0].run('serverSideEmitWithAck', { event: 'silent' }, 10_000).then(
        () => 'resolved',
        (err: Error) => err.message,
      )
      expect(failure).toContain('timeout reached: missing 2 responses')
      // Socket.IO's fixed 5 s: the adapter waited for the silent servers, not less.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900)
    })

    test('serverSideEmitWithAck succeeds when a server leaves mid-request', async () => {
      const s4 = await startSocketIoServer({ relayUrl: relays.extra, name: 's4', ...HEARTBEAT })
      await allCount([...servers, s4], '/', 4)
      const started = Date.now()
      const answers = await servers[0].run<{ from: string }[]>('serverSideEmitWithAck', {
        event: 'leave',
        args: ['s4'],
      })
      expect(answers.map((a) => a.from).sort()).toEqual(['s2', 's3'])
      // Resolved by s4's goodbye, long before the 5 s timeout or its heartbeat timeout.
      expect(Date.now() - started).toBeLessThan(2500)
      expect(await s4.proc.exited).toBe(0)
      await allCount(servers, '/', 3)
    })

    test('serverCount counts the servers of each namespace once', async () => {
      for (const server of servers) {
        expect(await server.run('serverCount')).toBe(3)
        expect(await server.run('serverCount', { nsp: '/admin' })).toBe(3)
      }
    })

    test('a server killed with SIGKILL is dropped by the others within the heartbeat timeout', async () => {
      const s4 = await startSocketIoServer({ relayUrl: relays.extra, name: 's4', ...HEARTBEAT })
      await allCount([...servers, s4], '/', 4)
      s4.proc.kill('SIGKILL')
      const killedAt = Date.now()
      // The timeout, plus one second: Socket.IO checks for silent servers once a second.
      await within(
        HEARTBEAT.heartbeatTimeout + 1500,
        'the others to count 3 servers',
        allCount(servers, '/', 3),
      )
      expect(Date.now() - killedAt).toBeGreaterThan(HEARTBEAT.heartbeatTimeout - 1000)
    })
  })
}

/** Waits until every server counts `n` servers on `nsp`. */
function allCount(servers: SocketIoServer[], nsp: string, n: number): Promise<void> {
  return until(
    `every server to count ${n} servers on ${nsp}`,
    async () => {
      const counts = await Promise.all(servers.map((s) => s.run<number>('serverCount', { nsp })))
      return counts.every((c) => c === n)
    },
    8000,
  )
}
