import { withChildren } from '../child.js'
import { startNatsServer } from '../nats-server.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { resultDeadline, type Spawn, startClusterRelay, startMeshRelay } from './relays.js'

/** Nodes joining and leaving: 2 processes × 25 meshes, each with its own connection. */
const CHURN_PROCS = 2
const CHURNERS_PER_PROC = 25

/**
 * Presence churn: 50 nodes join and leave a topic's presence in closed loops (set state, clear
 * it) while one watcher counts the joins its lists show, on one relay and across a cluster (the
 * nodes on relay A, the watcher on relay B, through the NATS KV bucket). A join and leave inside
 * one coalescing tick may show as no change at all: the figure is what a watcher sees.
 */
export function presenceScenario(settings: BenchSettings): Promise<BenchRow[]> {
  let cleanup = () => {}
  return withChildren(async (spawn) => {
    const rows: BenchRow[] = []
    settings.log('presence: single relay')
    const single = await startMeshRelay(spawn, 'bun')
    rows.push(await churn(spawn, settings, 'single-relay', single.url, single.url))
    settings.log('presence: cluster (nats-server with JetStream, relays A and B)')
    const nats = await startNatsServer(spawn, { jetstream: true })
    cleanup = nats.cleanup
    const a = await startClusterRelay(spawn, nats.url, 'A')
    const b = await startClusterRelay(spawn, nats.url, 'B')
    rows.push(await churn(spawn, settings, 'cluster', a.url, b.url))
    return rows
  }).finally(() => cleanup())
}

async function churn(
  spawn: Spawn,
  settings: BenchSettings,
  system: string,
  churnUrl: string,
  watchUrl: string,
): Promise<BenchRow> {
  const watcher = spawn({
    name: `presence watcher (${system})`,
    script: 'processes/presence-watcher.ts',
    env: { RELAY_URL: watchUrl },
  })
  await watcher.waitFor(/^READY/, 30_000)
  const churners = Array.from({ length: CHURN_PROCS }, (_, proc) =>
    spawn({
      name: `presence churners #${proc} (${system})`,
      script: 'processes/presence-churners.ts',
      env: { RELAY_URL: churnUrl, CHURNERS: CHURNERS_PER_PROC },
    }),
  )
  await Promise.all(churners.map((child) => child.waitFor(/^READY/, 30_000)))
  const start = Date.now() + settings.warmupMs
  const end = start + settings.durationMs
  watcher.send(`WINDOW ${start} ${end}`)
  for (const child of churners) child.send(`GO ${start} ${end}`)
  const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
  const seen = await watcher.result<{ joins: number; leaves: number; lists: number; window_ms: number }>(
    deadline,
  )
  const done = await Promise.all(
    churners.map((child) => child.result<{ joins: number; window_ms: number }>(deadline)),
  )
  const perSecond = (n: number) => Math.round((n * 1000) / seen.window_ms)
  const joined = done.reduce((sum, r) => sum + r.joins, 0)
  return {
    scenario: 'presence',
    system,
    inflight: null,
    rps: perSecond(seen.joins),
    p50_us: null,
    p99_us: null,
    joins_seen_per_s: perSecond(seen.joins),
    lists_per_s: perSecond(seen.lists),
    joins_made_per_s: Math.round((joined * 1000) / done[0]!.window_ms),
    nodes: CHURN_PROCS * CHURNERS_PER_PROC,
  }
}
