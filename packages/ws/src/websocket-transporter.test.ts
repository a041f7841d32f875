import { afterEach, describe, expect, test } from 'bun:test'
import {
  ErrorCode,
  type MeshError,
  Microservice,
  RemoteServiceLinker,
  SpiderMesh,
  silentLogger,
} from '@spider-mesh/core'
import { filter, firstValueFrom, interval, take, toArray } from 'rxjs'
import { codeOf } from './code-of.test-helper.js'
import { WebsocketTransporter } from './node.js'
import { FrameClient } from './relay/frame-client.test-helper.js'
import { WebsocketRelayServer } from './relay-server.js'
import type { ConnectionStatus, DiscoveryEvent } from './transporter/connection-status.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function relay(port = 0): Promise<{ server: WebsocketRelayServer; url: string }> {
  const server = new WebsocketRelayServer({ host: '127.0.0.1', port, logger: silentLogger })
  await server.ready
  cleanups.push(() => server.close())
  return { server, url: `ws://127.0.0.1:${server.port}` }
}

function node(
  url: string | string[],
  nodeId: string,
  options: ConstructorParameters<typeof WebsocketTransporter>[0] = {},
) {
  const transporter = new WebsocketTransporter({ reconnectIntervalMs: 50, onWarning: () => {}, ...options })
  for (const u of [url].flat()) transporter.connect(u)
  const mesh = new SpiderMesh({ nodeId, logger: silentLogger }).registerTransporter(transporter)
  cleanups.push(() => mesh.close())
  return { transporter, mesh }
}

const connected = (t: WebsocketTransporter, url: string) =>
  firstValueFrom(t.status$.pipe(filter((s) => s.get(url) === 'connected')))

@Microservice({ name: 'Echo' })
class Echo {
  echo(value: unknown) {
    return value
  }
  ticks() {
    return interval(5)
  }
}

describe('WebsocketTransporter', () => {
  test('calls fail fast with MICROSERVICE_OFFLINE while no relay is connected', async () => {
    const { mesh } = node('ws://127.0.0.1:1', 'lonely')
    const proxy = RemoteServiceLinker.link<Echo>(mesh, { service: 'Echo', timeout: 10_000 })
    const started = Date.now()
    expect(await codeOf(proxy.echo(1))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  test('status$ goes connecting → connected → error → connecting → connected across a relay restart', async () => {
    const first = await relay()
    const port = first.server.port!
    const { transporter } = node(first.url, 'watcher')
    const seen: ConnectionStatus[] = []
    transporter.status$.subscribe((s) => {
      const status = s.get(first.url)
      if (status && seen.at(-1) !== status) seen.push(status)
    })
    await connected(transporter, first.url)
    await first.server.close()
    await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(first.url) === 'error')))
    await relay(port)
    await connected(transporter, first.url)
    expect(seen.slice(0, 3)).toEqual(['connecting', 'connected', 'error'])
    expect(seen.at(-1)).toBe('connected')
    expect(seen).toContain('connecting')
    await transporter.close(first.url)
    expect(transporter.status$.value.get(first.url)).toBe('not_connected')
  })

  test('connect() is idempotent per URL and rejects a non-ws URL', async () => {
    const { url } = await relay()
    const { transporter } = node(url, 'idem')
    transporter.connect(url)
    await connected(transporter, url)
    expect([...transporter.status$.value.keys()]).toEqual([url])
    expect(() => transporter.connect('http://x')).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })

  test('one transporter serves one mesh', async () => {
    const { transporter } = node('ws://127.0.0.1:1', 'one')
    expect(() => new SpiderMesh({ logger: silentLogger }).registerTransporter(transporter)).toThrow(
      expect.objectContaining({ code: ErrorCode.ALREADY_REGISTERED }),
    )
  })

  test('bad options get INVALID_OPTION', () => {
    expect(() => new WebsocketTransporter({ heartbeatIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
    expect(() => new WebsocketTransporter({ unsubscribeDelayMs: -1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })

  test('discovery events fire once per real change, never for self, not on relay re-sync', async () => {
    const first = await relay()
    const port = first.server.port!
    const watcher = node(first.url, 'watcher')
    const events: DiscoveryEvent[] = []
    watcher.transporter.discovery$.subscribe((e) => events.push(e))
    await watcher.mesh.provide(new Echo())
    const provider = node(first.url, 'provider')
    await provider.mesh.provide(new Echo())
    const proxy = RemoteServiceLinker.link<Echo>(watcher.mesh, { service: 'Echo', node_id: 'provider' })
    await proxy.wait({ timeout: 2000 })
    for (let i = 0; i < 5; i++) await proxy.echo(i)
    expect(events.map((e) => `${e.type}:${e.node_id}`)).toEqual(['discovered:provider'])
    // Relay restarts: both nodes reconnect, the re-sync shows nothing new.
    const lost = (t: WebsocketTransporter) =>
      firstValueFrom(t.status$.pipe(filter((s) => s.get(first.url) === 'error')))
    const bothLost = Promise.all([lost(watcher.transporter), lost(provider.transporter)])
    await first.server.close()
    await bothLost
    await relay(port)
    await connected(watcher.transporter, first.url)
    await connected(provider.transporter, first.url)
    await proxy.wait({ timeout: 2000 })
    expect(await proxy.echo('after restart')).toBe('after restart')
    // The provider may re-join after the watcher's re-sync (an honest offline + discovered pair
    // is possible only if the watcher's Welcome came before the provider's Hello); never more.
    const after = events.slice(1).map((e) => `${e.type}:${e.node_id}`)
    expect(after.length === 0 || (after.length === 2 && after[0] === 'offline:provider')).toBe(true)
    const offline = firstValueFrom(watcher.transporter.discovery$.pipe(filter((e) => e.type === 'offline')))
    await provider.mesh.close()
    expect((await offline).node_id).toBe('provider')
  })

  test('the round trip to the relay is measured', async () => {
    const { url } = await relay()
    const { transporter } = node(url, 'rtt', { heartbeatIntervalMs: 20 })
    await connected(transporter, url)
    const deadline = Date.now() + 2000
    while (transporter.rtt(url) === undefined && Date.now() < deadline) await Bun.sleep(10)
    expect(transporter.rtt(url)).toBeGreaterThanOrEqual(0)
  })

  test('a relay that stops answering is declared dead by the heartbeat deadline', async () => {
    // A raw server that accepts the socket and never speaks: only our heartbeat can notice.
    const silent = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response('no', { status: 400 })),
      websocket: { message() {} },
    })
    cleanups.push(() => silent.stop(true))
    const url = `ws://127.0.0.1:${silent.port}`
    const { transporter } = node(url, 'hb', { heartbeatIntervalMs: 30, reconnectIntervalMs: 5000 })
    await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'error')))
  })

  test('with two relays, calls go to the relay that lists the provider', async () => {
    const a = await relay()
    const b = await relay()
    const provider = node(b.url, 'provider-b')
    await provider.mesh.provide(new Echo())
    const caller = node([a.url, b.url], 'caller')
    const proxy = RemoteServiceLinker.link<Echo>(caller.mesh, { service: 'Echo' })
    await proxy.wait({ timeout: 2000 })
    expect(await proxy.echo('via b')).toBe('via b')
  })

  test('losing the relay mid-stream ends the call with MICROSERVICE_OFFLINE at once', async () => {
    const { server, url } = await relay()
    const provider = node(url, 'provider')
    await provider.mesh.provide(new Echo())
    const caller = node(url, 'caller')
    const proxy = RemoteServiceLinker.link<Echo>(caller.mesh, { service: 'Echo' })
    await proxy.wait({ timeout: 2000 })
    const ended = new Promise<string | undefined>((resolve) =>
      proxy
        .ticks()
        .subscribe({ error: (e) => resolve((e as MeshError).code), complete: () => resolve('completed') }),
    )
    await firstValueFrom(proxy.ticks().pipe(take(2), toArray()))
    const started = Date.now()
    await server.close({ drainTimeoutMs: 0 })
    expect(await ended).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  test('a topic subscription is kept unsubscribeDelayMs after the last listener leaves', async () => {
    const { server, url } = await relay()
    const listener = node(url, 'listener', { unsubscribeDelayMs: 100 })
    await connected(listener.transporter, url)
    listener.mesh.listen('news').subscribe().unsubscribe()
    const deadline = Date.now() + 1000
    while (server.stats().subscriptions === 0 && Date.now() < deadline) await Bun.sleep(5)
    expect(server.stats().subscriptions).toBe(1)
    while (server.stats().subscriptions === 1 && Date.now() < deadline + 1000) await Bun.sleep(10)
    expect(server.stats().subscriptions).toBe(0)
  })

  test('a node id held by a live socket is refused, and the transporter keeps retrying', async () => {
    const { url } = await relay()
    const squatter = await FrameClient.join(url, 'taken')
    cleanups.push(() => squatter.socket.close())
    const { transporter } = node(url, 'taken')
    await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'error')))
    squatter.socket.close()
    await connected(transporter, url)
  })
})

describe('relay limits, as the transporter sees them', () => {
  @Microservice({ name: 'Big' })
  class Big {
    blob(size: number) {
      return new Uint8Array(size)
    }
    take(bytes: Uint8Array) {
      return bytes.byteLength
    }
  }

  async function limited(options: ConstructorParameters<typeof WebsocketRelayServer>[0]) {
    const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 0, logger: silentLogger, ...options })
    await server.ready
    cleanups.push(() => server.close())
    const url = `ws://127.0.0.1:${server.port}`
    const provider = node(url, 'big-provider')
    await provider.mesh.provide(new Big())
    const caller = node(url, 'big-caller')
    const proxy = RemoteServiceLinker.link<Big>(caller.mesh, { service: 'Big' })
    await proxy.wait({ timeout: 2000 })
    return { server, proxy, caller }
  }

  test('arguments over the relay maxPayloadBytes fail with PAYLOAD_TOO_LARGE; the connection survives', async () => {
    const { proxy } = await limited({ maxPayloadBytes: 64 * 1024 })
    expect(await codeOf(proxy.take(new Uint8Array(100 * 1024)))).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
    expect(await proxy.take(new Uint8Array(1024))).toBe(1024)
  })

  test('a result over the limit fails that call with PAYLOAD_TOO_LARGE, not the provider connection', async () => {
    const { proxy } = await limited({ maxPayloadBytes: 64 * 1024 })
    expect(await codeOf(proxy.blob(100 * 1024))).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
    expect((await proxy.blob(10)).byteLength).toBe(10)
  })

  test('many results that fit alone are never coalesced into a message over the limit', async () => {
    const { proxy } = await limited({ maxPayloadBytes: 64 * 1024 })
    const sizes = await Promise.all(Array.from({ length: 20 }, () => proxy.blob(40 * 1024)))
    expect(sizes.map((b) => b.byteLength)).toEqual(Array(20).fill(40 * 1024))
  })

  test('past maxInFlightPerConnection a call gets OVERLOADED at once', async () => {
    const { proxy } = await limited({ maxInFlightPerConnection: 2 })
    const slow = RemoteServiceLinker.invoke(proxy, 'never')
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => Promise.resolve(proxy.take(new Uint8Array(1)))),
    )
    void slow
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as MeshError).code : 'ok'))
    expect(codes.filter((c) => c === ErrorCode.OVERLOADED).length).toBeGreaterThanOrEqual(2)
  })

  test('publishing a message over the limit throws PAYLOAD_TOO_LARGE', async () => {
    const { caller } = await limited({ maxPayloadBytes: 64 * 1024 })
    expect(() => caller.mesh.publish('t', new Uint8Array(100 * 1024))).toThrow(
      expect.objectContaining({ code: ErrorCode.PAYLOAD_TOO_LARGE }),
    )
  })
})

describe('graceful drain', () => {
  @Microservice({ name: 'Worker' })
  class Worker {
    constructor(readonly id: string) {}
    async work(ms: number) {
      await Bun.sleep(ms)
      return this.id
    }
    forever() {
      return interval(10)
    }
  }

  test('mesh.close() stops new calls reaching the node, lets in-flight calls finish, then leaves', async () => {
    const { url } = await relay()
    const draining = node(url, 'draining')
    await draining.mesh.provide(new Worker('draining'))
    const other = node(url, 'other')
    await other.mesh.provide(new Worker('other'))
    const caller = node(url, 'caller')
    const pinned = RemoteServiceLinker.link<Worker>(caller.mesh, { service: 'Worker', node_id: 'draining' })
    const any = RemoteServiceLinker.link<Worker>(caller.mesh, { service: 'Worker' })
    await pinned.wait({ timeout: 2000 })
    await any.wait({ timeout: 2000 })
    const inFlight = pinned.work(300).then((id) => id)
    await Bun.sleep(50)
    const closing = draining.mesh.close({ drainTimeoutMs: 5000 })
    await firstValueFrom(caller.transporter.discovery$.pipe(filter((e) => e.type === 'offline')))
    // While it drains, new calls go elsewhere; the call it was serving completes normally.
    const during = await Promise.all(Array.from({ length: 4 }, () => any.work(1)))
    expect(during).toEqual(['other', 'other', 'other', 'other'])
    expect(await inFlight).toBe('draining')
    await closing
  })

  test('the drain is bounded: a call that never ends is stopped after drainTimeoutMs', async () => {
    const { url } = await relay()
    const provider = node(url, 'stuck')
    await provider.mesh.provide(new Worker('stuck'))
    const caller = node(url, 'caller')
    const proxy = RemoteServiceLinker.link<Worker>(caller.mesh, { service: 'Worker' })
    await proxy.wait({ timeout: 2000 })
    const ended = new Promise<string | undefined>((resolve) =>
      proxy.forever().subscribe({ error: (e) => resolve((e as MeshError).code) }),
    )
    await Bun.sleep(30)
    const started = Date.now()
    await provider.mesh.close({ drainTimeoutMs: 200 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(await ended).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })

  test('a relay shutting down sends Goodbye: callers connected to two relays fail over at once', async () => {
    const a = await relay()
    const b = await relay()
    const provider = node([a.url, b.url], 'provider')
    await provider.mesh.provide(new Worker('p'))
    const caller = node([a.url, b.url], 'caller')
    const proxy = RemoteServiceLinker.link<Worker>(caller.mesh, { service: 'Worker' })
    await proxy.wait({ timeout: 2000 })
    // Discovery events are merged across relays now: wait until relay B itself lists both nodes.
    for (let i = 0; i < 100 && b.server.stats().nodes < 2; i++) await Bun.sleep(10)
    expect(b.server.stats().nodes).toBe(2)
    expect(await proxy.work(1)).toBe('p')
    await a.server.close()
    const started = Date.now()
    const results = await Promise.all(Array.from({ length: 5 }, () => proxy.work(1)))
    expect(results).toEqual(['p', 'p', 'p', 'p', 'p'])
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('messages written from the reused batch buffer', () => {
  @Microservice({ name: 'Fill' })
  class Fill {
    /** Whether every byte is `value` (a corrupted copy would show another message's bytes). */
    check(bytes: Uint8Array, value: number) {
      return bytes.byteLength > 0 && bytes.every((b) => b === value)
    }
    make(size: number, value: number) {
      return new Uint8Array(size).fill(value)
    }
  }

  test('40 arguments and 40 results of 256 KiB sent back to back each arrive as sent', async () => {
    // Under Bun the link and the relay hand their sockets a view of a batch buffer that the next
    // message overwrites (copiesOnSend): only a socket that copies on send keeps them intact.
    const { url } = await relay()
    const provider = node(url, 'fill-provider')
    await provider.mesh.provide(new Fill())
    const caller = node(url, 'fill-caller')
    const proxy = RemoteServiceLinker.link<Fill>(caller.mesh, { service: 'Fill', timeout: 20_000 })
    await proxy.wait({ timeout: 2000 })
    const size = 256 * 1024
    const checks: Promise<boolean>[] = []
    for (let i = 0; i < 40; i++) {
      checks.push(proxy.check(new Uint8Array(size).fill(i + 1), i + 1))
      // A new tick: each argument leaves in its own message, from the same batch buffer.
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await Promise.all(checks)).toEqual(Array(40).fill(true))
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => proxy.make(size, i + 1)))
    expect(results.map((r, i) => r.byteLength === size && r.every((b) => b === i + 1))).toEqual(
      Array(40).fill(true),
    )
  })
})
