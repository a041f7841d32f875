import { afterEach, describe, expect, test } from 'bun:test'
import { Microservice, RemoteServiceLinker, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'
import { WebsocketRelayServer } from '../relay-server.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

@Microservice({ name: 'Metered' })
class Metered {
  ok(n: number) {
    return n
  }
  fail(): never {
    throw new Error('no')
  }
}

async function setup(adapter: 'bun' | 'node', dashboard = false) {
  const server = new WebsocketRelayServer({
    host: '127.0.0.1',
    port: 0,
    adapter,
    dashboard,
    logger: silentLogger,
  })
  await server.ready
  cleanups.push(() => server.close())
  const ws = `ws://127.0.0.1:${server.port}`
  const meshes = ['provider', 'caller'].map((nodeId) => {
    const t = new WebsocketTransporter({ meta: { team: 'billing' }, onWarning: () => {} })
    t.connect(ws)
    // The mesh's meta is announced too; the transporter's own entries win where both say.
    const meta = { owner: nodeId, team: 'from-the-mesh' }
    const mesh = new SpiderMesh({ nodeId, logger: silentLogger, meta }).registerTransporter(t)
    cleanups.push(() => mesh.close())
    return mesh
  })
  await meshes[0]!.provide(new Metered())
  const proxy = RemoteServiceLinker.link<Metered>(meshes[1]!, { service: 'Metered' })
  await proxy.wait({ timeout: 2000 })
  return { http: `http://127.0.0.1:${server.port}`, proxy }
}

for (const adapter of ['bun', 'node'] as const) {
  describe(`relay HTTP endpoints (${adapter} adapter)`, () => {
    test('GET /health answers ok with table sizes', async () => {
      const { http } = await setup(adapter)
      const res = await fetch(`${http}/health`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as Record<string, unknown>
      expect(body).toMatchObject({ status: 'ok', connections: 2, nodes: 2 })
    })

    test('GET /directory lists nodes with role, services, version and runtime', async () => {
      const { http } = await setup(adapter)
      const body = (await (await fetch(`${http}/directory`)).json()) as {
        nodes: { node_id: string; role: string; services: string[]; meta: Record<string, string> }[]
        services: Record<string, string[]>
      }
      const provider = body.nodes.find((n) => n.node_id === 'provider')!
      expect(provider.role).toBe('server')
      expect(provider.services).toEqual(['Metered'])
      expect(provider.meta).toMatchObject({
        owner: 'provider',
        team: 'billing',
        version: '0.1.0',
        runtime: 'bun',
      })
      expect(body.services).toEqual({ Metered: ['provider'] })
    })

    test("GET /directory shows each node's round trip right after it joined, not a heartbeat later", async () => {
      const { http } = await setup(adapter)
      const deadline = Date.now() + 2000
      let rtts: (number | null)[] = []
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${http}/directory`)).json()) as {
          nodes: { rtt_ms: number | null }[]
        }
        rtts = body.nodes.map((n) => n.rtt_ms)
        if (rtts.every((r) => r !== null)) break
        await Bun.sleep(10)
      }
      for (const rtt of rtts) expect(rtt).toBeGreaterThanOrEqual(0)
    })

    test('GET /metrics counts calls by outcome in the Prometheus text format', async () => {
      const { http, proxy } = await setup(adapter)
      await proxy.ok(1)
      await proxy.ok(2)
      await Promise.resolve(proxy.fail()).catch(() => {})
      const res = await fetch(`${http}/metrics`)
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4')
      const text = await res.text()
      expect(text).toContain('spider_mesh_relay_calls_total{service="Metered",method="ok",outcome="ok"} 2')
      expect(text).toContain(
        'spider_mesh_relay_calls_total{service="Metered",method="fail",outcome="error"} 1',
      )
      expect(text).toContain('spider_mesh_relay_call_duration_seconds_count{service="Metered",method="ok"} 2')
      expect(text).toContain('spider_mesh_relay_connections{role="server"} 2')
      expect(text).toMatch(/spider_mesh_relay_received_bytes_total [1-9]\d*/)
      // Every sample line is `name{labels} number` or `name number` (blank lines separate families;
      // prom-client writes NaN as `Nan`, e.g. the event-loop mean before its first sample).
      for (const line of text.trim().split('\n')) {
        if (line !== '' && !line.startsWith('#')) {
          expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{[^}]*\})? (-?\d+(\.\d+)?(e[+-]?\d+)?|Nan|[+-]Inf)$/)
        }
      }
      expect(text).toContain('# TYPE spider_mesh_relay_calls_total counter')
      expect(text).toContain('# TYPE spider_mesh_relay_call_duration_seconds histogram')
      expect(text).toContain(
        'spider_mesh_relay_call_duration_seconds_bucket{service="Metered",method="ok",le="+Inf"} 2',
      )
      // prom-client's process metrics follow the relay's.
      expect(text).toMatch(/^process_cpu_seconds_total \d/m)
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
    })

    test('GET /stats has per-method counts and latency percentiles', async () => {
      const { http, proxy } = await setup(adapter)
      await proxy.ok(1)
      const stats = (await (await fetch(`${http}/stats`)).json()) as {
        calls: { service: string; method: string; ok: number; latency_ms: { p50: number } | null }[]
      }
      const ok = stats.calls.find((c) => c.method === 'ok')!
      expect(ok.ok).toBe(1)
      expect(ok.latency_ms!.p50).toBeGreaterThanOrEqual(0)
    })

    test('each relay counts its own calls: two relays in one process share no series', async () => {
      const a = await setup(adapter)
      const b = await setup(adapter)
      await a.proxy.ok(1)
      const textA = await (await fetch(`${a.http}/metrics`)).text()
      const textB = await (await fetch(`${b.http}/metrics`)).text()
      expect(textA).toContain('spider_mesh_relay_calls_total{service="Metered",method="ok",outcome="ok"} 1')
      expect(textB).not.toContain('method="ok",outcome="ok"} 1')
    })

    test('GET /directory and /stats round milliseconds to two decimals', async () => {
      const { http, proxy } = await setup(adapter)
      for (let i = 0; i < 5; i++) await proxy.ok(i)
      const twoDecimals = (n: number) => expect(Math.round(n * 100) / 100).toBe(n)
      const deadline = Date.now() + 2000
      let rtts: (number | null)[] = []
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${http}/directory`)).json()) as {
          nodes: { rtt_ms: number | null }[]
        }
        rtts = body.nodes.map((n) => n.rtt_ms)
        if (rtts.every((r) => r !== null)) break
        await Bun.sleep(10)
      }
      for (const rtt of rtts) twoDecimals(rtt!)
      const stats = (await (await fetch(`${http}/stats`)).json()) as {
        calls: { latency_ms: { p50: number; p99: number } | null }[]
      }
      for (const { latency_ms } of stats.calls) {
        twoDecimals(latency_ms!.p50)
        twoDecimals(latency_ms!.p99)
      }
    })

    test('unknown paths get 404, /favicon.ico 204, the WebSocket path without upgrade 426', async () => {
      const { http } = await setup(adapter)
      const unknown = await fetch(`${http}/nope`)
      expect(unknown.status).toBe(404)
      expect(await unknown.text()).toContain('/nope')
      expect((await fetch(`${http}/metrics/extra`)).status).toBe(404)
      const favicon = await fetch(`${http}/favicon.ico`)
      expect(favicon.status).toBe(204)
      expect(await favicon.text()).toBe('')
      expect((await fetch(`${http}/`)).status).toBe(426)
      expect((await fetch(`${http}/health`, { method: 'POST' })).status).toBe(404)
    })

    test('with a WebSocket path, that path answers 426 and / answers 404', async () => {
      const server = new WebsocketRelayServer({
        host: '127.0.0.1',
        port: 0,
        adapter,
        path: '/mesh',
        logger: silentLogger,
      })
      await server.ready
      cleanups.push(() => server.close())
      const http = `http://127.0.0.1:${server.port}`
      expect((await fetch(`${http}/mesh`)).status).toBe(426)
      expect((await fetch(`${http}/`)).status).toBe(404)
      expect((await fetch(`${http}/health`)).status).toBe(200)
    })

    test('GET / serves the dashboard only when enabled', async () => {
      const off = await setup(adapter)
      expect((await fetch(`${off.http}/`)).status).toBe(426)
      const on = await setup(adapter, true)
      const res = await fetch(`${on.http}/`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('<title>Spider Mesh relay</title>')
    })
  })
}
