import { withChildren } from '../child.js'
import { startNatsServer } from '../nats-server.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { resultDeadline, type Spawn, startClusterRelay, startMeshRelay } from './relays.js'

/** 100 watchers, as 4 processes × 25 meshes, each mesh with its own transporter. */
const WATCHER_PROCS = 4
const WATCHERS_PER_PROC = 25
/** Fields of the watched document (about 1.6 KB as msgpack); each update replaces one. */
const FIELDS = 50

type Mode = 'full' | 'patch'

/** Reads a relay's total of bytes sent to its connections from its /metrics. */
async function sentBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url.replace(/^ws/, 'http')}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('spider_mesh_relay_sent_bytes_total'))
  return Number(line?.split(' ').at(-1) ?? Number.NaN)
}

async function sentBytesAll(urls: string[]): Promise<number> {
  return (await Promise.all(urls.map(sentBytes))).reduce((a, b) => a + b, 0)
}

const at = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())))

/**
 * One record, one writer patching one field per update (serially), 100 watchers in `mode`.
 * Figures: updates/s the writer completed; watcher deliveries/s; bytes per update per watcher,
 * from the relays' `spider_mesh_relay_sent_bytes_total` over the window (the wire, frames
 * included) divided by the deliveries in it.
 */
async function measure(
  spawn: Spawn,
  settings: BenchSettings,
  urls: { writer: string; watchers: string[]; all: string[] },
  mode: Mode,
  system: string,
): Promise<BenchRow> {
  settings.log(`records ${system}`)
  const id = `bench.record.${mode}.${Date.now()}`
  const writer = spawn({
    name: `records writer (${system})`,
    script: 'processes/records-writer.ts',
    env: { RELAY_URL: urls.writer, RECORD_ID: id, FIELDS },
  })
  await writer.waitFor(/^READY/, 15_000)
  const watchers = Array.from({ length: WATCHER_PROCS }, (_, proc) =>
    spawn({
      name: `records watchers #${proc} (${system})`,
      script: 'processes/records-watchers.ts',
      env: { RELAY_URL: urls.watchers.join(','), WATCHERS: WATCHERS_PER_PROC, RECORD_ID: id, MODE: mode },
    }),
  )
  await Promise.all(watchers.map((child) => child.waitFor(/^READY/, 30_000)))
  const start = Date.now() + settings.warmupMs
  const end = start + settings.durationMs
  for (const child of watchers) child.send(`WINDOW ${start} ${end}`)
  writer.send(`GO ${start} ${end}`)
  await at(start)
  const bytesAtStart = await sentBytesAll(urls.all)
  await at(end)
  const bytesAtEnd = await sentBytesAll(urls.all)
  const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
  const seen = await Promise.all(
    watchers.map((child) => child.result<{ updates: number; window_ms: number }>(deadline)),
  )
  const written = await writer.result<{ updates: number; window_ms: number }>(deadline)
  const deliveries = seen.reduce((sum, r) => sum + r.updates, 0)
  const deliveriesPerS = seen.reduce((sum, r) => sum + (r.updates * 1000) / r.window_ms, 0)
  return {
    scenario: 'records',
    system,
    inflight: 1,
    rps: Math.round((written.updates * 1000) / written.window_ms),
    p50_us: null,
    p99_us: null,
    deliveries_per_s: Math.round(deliveriesPerS),
    bytes_per_update: deliveries > 0 ? Math.round((bytesAtEnd - bytesAtStart) / deliveries) : null,
    watchers: WATCHER_PROCS * WATCHERS_PER_PROC,
  }
}

/**
 * Versioned records: record updates/s with 100 watchers, full against patch mode, and bytes per
 * update on the wire; on one relay (memory) and on a 3-relay cluster (NATS KV, the writer on
 * relay A, the watchers spread over all three).
 */
export function recordsScenario(settings: BenchSettings): Promise<BenchRow[]> {
  let cleanup = () => {}
  return withChildren(async (spawn) => {
    const rows: BenchRow[] = []
    const single = await startMeshRelay(spawn, 'bun')
    const one = { writer: single.url, watchers: [single.url], all: [single.url] }
    for (const mode of ['full', 'patch'] as const)
      rows.push(await measure(spawn, settings, one, mode, `single-relay ${mode}`))
    const nats = await startNatsServer(spawn, { jetstream: true })
    cleanup = nats.cleanup
    const relays = await Promise.all(['A', 'B', 'C'].map((name) => startClusterRelay(spawn, nats.url, name)))
    const all = relays.map((r) => r.url)
    const cluster = { writer: all[0]!, watchers: all, all }
    for (const mode of ['full', 'patch'] as const)
      rows.push(await measure(spawn, settings, cluster, mode, `cluster ${mode}`))
    return rows
  }).finally(() => cleanup())
}

/** The records rows as lines: updates/s, deliveries/s and bytes per update, full against patch. */
export function formatRecordsReport(rows: BenchRow[]): string {
  return rows
    .filter((r) => r.scenario === 'records' && typeof r.error !== 'string')
    .map(
      (r) =>
        `  ${r.system}: ${r.rps} updates/s, ${r.deliveries_per_s} deliveries/s to ${r.watchers} watchers, ${r.bytes_per_update} B per update per watcher`,
    )
    .join('\n')
}
