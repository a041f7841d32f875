import { withChildren } from '../child.js'
import { startNatsServer } from '../nats-server.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { percentile } from '../stats.js'
import { resultDeadline, type Spawn, startClusterRelay, startMeshRelay } from './relays.js'

/** Messages retained and replayed whole by each replay. */
export const HISTORY_ITEMS = 10_000

const TOPICS = JSON.stringify({ 'bench.history': { retain: HISTORY_ITEMS } })

/**
 * Topic history replay: a filler stores HISTORY_ITEMS messages (~100 B), then a replayer
 * listens with `{ history: HISTORY_ITEMS }` again and again and counts replayed items/s (and the
 * time of one whole replay). `single-relay`: one relay, in memory. `cluster`: nats-server with
 * JetStream, filled through relay A and replayed through relay B (a JetStream ordered consumer).
 */
export function historyScenario(settings: BenchSettings): Promise<BenchRow[]> {
  let cleanup = () => {}
  return withChildren(async (spawn) => {
    const rows: BenchRow[] = []
    settings.log('history single-relay')
    const single = await startMeshRelay(spawn, 'bun', undefined, { TOPICS_JSON: TOPICS })
    rows.push(await measure(spawn, settings, 'single-relay', single.url, single.url))
    settings.log('history cluster (JetStream)')
    const nats = await startNatsServer(spawn, { jetstream: true })
    cleanup = nats.cleanup
    const a = await startClusterRelay(spawn, nats.url, 'A', { TOPICS_JSON: TOPICS })
    const b = await startClusterRelay(spawn, nats.url, 'B', { TOPICS_JSON: TOPICS })
    rows.push(await measure(spawn, settings, 'cluster', a.url, b.url))
    return rows
  }).finally(() => cleanup())
}

async function measure(
  spawn: Spawn,
  settings: BenchSettings,
  system: string,
  fillUrl: string,
  replayUrl: string,
): Promise<BenchRow> {
  const filler = spawn({
    name: `history filler (${system})`,
    script: 'processes/history-node.ts',
    env: { RELAY_URL: fillUrl, ROLE: 'fill', COUNT: HISTORY_ITEMS },
  })
  await filler.waitFor(/^READY/, 60_000)
  const replayer = spawn({
    name: `history replayer (${system})`,
    script: 'processes/history-node.ts',
    env: { RELAY_URL: replayUrl, ROLE: 'replay', COUNT: HISTORY_ITEMS },
  })
  await replayer.waitFor(/^READY/, 15_000)
  const start = Date.now() + settings.warmupMs
  replayer.send(`GO ${start} ${start + settings.durationMs}`)
  const r = await replayer.result<{ items: number; window_ms: number; replays: number; replay_us: number[] }>(
    resultDeadline(settings.warmupMs, settings.durationMs) + 60_000,
  )
  const sorted = [...r.replay_us].sort((x, y) => x - y)
  const perSecond = Math.round((r.items * 1000) / r.window_ms)
  return {
    scenario: 'history',
    system,
    inflight: null,
    rps: perSecond,
    // One whole replay of HISTORY_ITEMS messages (from the listen to the last value).
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
    items_per_s: perSecond,
    history_items: HISTORY_ITEMS,
    replays: r.replays,
  }
}
