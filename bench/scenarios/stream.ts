import { readFileSync } from 'node:fs'
import { withChildren } from '../child.js'
import { type BenchRow, type BenchSettings, type StreamResult, streamRow } from '../results.js'
import { type Adapter, loopEnv, resultDeadline, startMeshProvider, startMeshRelay } from './relays.js'

/** Items per stream, as the issue asks: one 100k-item Observable stream. */
export const STREAM_ITEMS = 100_000

/** Items/s of 100k-item Observable streams from the provider, streamed back to back for the duration. */
export function meshStream(settings: BenchSettings, adapter: Adapter, window?: number): Promise<BenchRow> {
  const system = `spider-mesh-${adapter}${window === undefined ? '' : ` window ${window}`}`
  return withChildren(async (spawn) => {
    settings.log(`stream ${system}`)
    const relay = await startMeshRelay(spawn, adapter)
    await startMeshProvider(spawn, relay.url)
    const caller = spawn({
      name: 'mesh stream caller',
      script: 'processes/mesh-caller.ts',
      env: {
        ...loopEnv(1, settings.warmupMs, settings.durationMs),
        RELAY_URL: relay.url,
        MODE: 'stream',
        STREAM_ITEMS,
        ...(window === undefined ? {} : { WINDOW: window }),
      },
    })
    // Streams run whole, so allow for a slow one on top of the duration.
    const r = await caller.result<StreamResult>(
      resultDeadline(settings.warmupMs, settings.durationMs) + 60_000,
    )
    return streamRow('stream', system, r)
  })
}

/**
 * What the relay holds for a consumer that stops reading: a caller subscribed to an endless
 * stream is stopped with SIGSTOP for 3 s; the relay's RSS growth over that time, in KB. With
 * flow control it is about one window of items, whatever the provider could produce.
 */
export function stoppedConsumer(settings: BenchSettings, adapter: Adapter): Promise<BenchRow> {
  return withChildren(async (spawn) => {
    settings.log(`stream-stopped spider-mesh-${adapter}`)
    const relay = await startMeshRelay(spawn, adapter)
    await startMeshProvider(spawn, relay.url)
    const caller = spawn({
      name: 'mesh stream holder',
      script: 'processes/mesh-caller.ts',
      env: { RELAY_URL: relay.url, MODE: 'hold', DURATION_MS: 0, WARMUP_MS: 0, INFLIGHT: 1 },
    })
    await caller.waitFor(/^FLOWING$/, 30_000)
    process.kill(caller.pid, 'SIGSTOP')
    try {
      await new Promise((resolve) => setTimeout(resolve, 500))
      const before = rssKb(relay.child.pid)
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const grown = rssKb(relay.child.pid) - before
      return {
        scenario: 'stream-stopped',
        system: `spider-mesh-${adapter}`,
        inflight: 1,
        rps: grown,
        p50_us: null,
        p99_us: null,
        relay_rss_kb: rssKb(relay.child.pid),
      }
    } finally {
      process.kill(caller.pid, 'SIGCONT')
    }
  })
}

function rssKb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1])
}
