import type { Child } from '../child.js'
import { withChildren } from '../child.js'
import { startRedisServer } from '../redis-server.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { resultDeadline, type Spawn, startMeshRelay } from './relays.js'

/** Socket.IO servers per system, and clients per server (all in the broadcast room). */
const SERVERS = 3
const CLIENTS = 2
/** Broadcasts per burst: the driver waits until every client has a burst before the next. */
const WINDOW = 50

/** The systems compared, in the order they run (alternating per figure). */
export const SOCKETIO_SYSTEMS = ['spider-mesh', 'redis-adapter', 'cluster-adapter'] as const

/** Starts `SERVERS` Socket.IO servers of one adapter (one process each, or one cluster primary). */
async function startServers(spawn: Spawn, system: string, env: Record<string, string>): Promise<string[]> {
  const script = 'processes/sio-adapter-server.ts'
  const servers: Child[] =
    system === 'cluster'
      ? [
          spawn({
            name: 'socket.io cluster primary',
            script,
            env: { SYSTEM: system, WORKERS: String(SERVERS) },
          }),
        ]
      : Array.from({ length: SERVERS }, (_, i) =>
          spawn({ name: `socket.io server ${i + 1} (${system})`, script, env: { ...env, SYSTEM: system } }),
        )
  if (servers.length === 1) {
    // The workers print on the primary's stdout: one READY line each.
    const primary = servers[0]!
    const ready = () => primary.lines.filter((l) => /^READY \d+$/.test(l)).map((l) => l.split(' ')[1]!)
    while (ready().length < SERVERS) await primary.waitFor(/^READY \d+$/, 15_000, primary.lines.length)
    return ready().slice(0, SERVERS)
  }
  const ports: string[] = []
  for (const server of servers) ports.push((await server.waitFor(/^READY (\d+)$/, 15_000))[1]!)
  return ports
}

/**
 * Socket.IO scaled over three servers, through `@spider-mesh/socket.io` on one relay, through
 * `@socket.io/redis-adapter` on a redis-server, and through `@socket.io/cluster-adapter` (Node's
 * cluster IPC, one machine only), all started first and idle while another measures. Per figure,
 * one fresh clients process per system runs in turn: broadcasts/s to a room holding 10 clients on
 * each server (closed loop, bursts of 50 from one server), and the latency of
 * serverSideEmitWithAck (one at a time, two servers answer).
 */
export function socketioAdapterScenario(settings: BenchSettings): Promise<BenchRow[]> {
  return withChildren(async (spawn) => {
    settings.log('socketio-adapter: starting the relay, redis-server and 3 Socket.IO servers per adapter')
    const relay = await startMeshRelay(spawn, 'bun')
    const redis = await startRedisServer(spawn)
    const ports: Record<string, string[]> = {
      'spider-mesh': await startServers(spawn, 'mesh', { RELAY_URL: relay.url }),
      'redis-adapter': await startServers(spawn, 'redis', { REDIS_URL: redis.url }),
      'cluster-adapter': await startServers(spawn, 'cluster', {}),
    }
    const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
    const rows: BenchRow[] = []
    for (const mode of ['broadcast', 'ssea'] as const) {
      for (const system of SOCKETIO_SYSTEMS) {
        settings.log(`socketio-adapter ${system} ${mode}`)
        const clients = spawn({
          name: `socket.io clients ${mode} (${system})`,
          script: 'processes/sio-adapter-clients.ts',
          env: {
            MODE: mode,
            PORTS: ports[system]!.join(','),
            CLIENTS,
            WINDOW,
            WARMUP_MS: settings.warmupMs,
            DURATION_MS: settings.durationMs,
          },
        })
        const r = await clients.result<Record<string, number>>(deadline)
        await clients.kill()
        rows.push(
          mode === 'broadcast'
            ? {
                scenario: 'socketio-broadcast',
                system,
                inflight: WINDOW,
                rps: r.broadcasts_per_s!,
                p50_us: null,
                p99_us: null,
                deliveries_per_s: r.deliveries_per_s,
                clients: r.clients,
              }
            : {
                scenario: 'socketio-ssea',
                system,
                inflight: 1,
                rps: r.rps!,
                p50_us: r.p50_us!,
                p99_us: r.p99_us!,
                max_us: r.max_us,
                calls: r.count,
              },
        )
      }
    }
    return rows
  })
}

/** Lines comparing Spider Mesh with each other adapter, figure by figure (same run). */
export function formatSocketioReport(rows: BenchRow[]): string {
  const lines: string[] = []
  const find = (scenario: string, system: string) =>
    rows.find((r) => r.scenario === scenario && r.system === system && r.error === undefined)
  for (const other of SOCKETIO_SYSTEMS.slice(1)) {
    const mb = find('socketio-broadcast', 'spider-mesh')
    const ob = find('socketio-broadcast', other)
    if (mb && ob) lines.push(`broadcasts/s spider-mesh / ${other}: ${ratio(mb.rps, ob.rps)}×`)
    const ms = find('socketio-ssea', 'spider-mesh')
    const os = find('socketio-ssea', other)
    if (ms && os) {
      lines.push(
        `serverSideEmitWithAck p50 spider-mesh / ${other}: ${ratio(ms.p50_us!, os.p50_us!)}×, p99 ${ratio(ms.p99_us!, os.p99_us!)}×`,
      )
    }
  }
  return lines.map((l) => `  ${l}`).join('\n')
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100
}
