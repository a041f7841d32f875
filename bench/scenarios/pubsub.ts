import { withChildren } from '../child.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { type Adapter, resultDeadline, startMeshRelay } from './relays.js'

/** 100 subscriber connections, as 4 processes × 25 meshes, each mesh with its own transporter. */
export const SUBSCRIBER_PROCS = 4
export const SUBSCRIBERS_PER_PROC = 25

/**
 * Pub/sub fan-out: one publisher process, 100 subscriber connections; deliveries/s summed over the
 * subscriber processes, each counting over the same wall-clock window after the warm-up.
 */
export function meshPubsub(settings: BenchSettings, adapter: Adapter): Promise<BenchRow> {
  return withChildren(async (spawn) => {
    const system = `spider-mesh-${adapter}`
    settings.log(`pubsub ${system}`)
    const relay = await startMeshRelay(spawn, adapter)
    const subscribers = Array.from({ length: SUBSCRIBER_PROCS }, (_, proc) =>
      spawn({
        name: `subscribers #${proc}`,
        script: 'processes/mesh-subscribers.ts',
        env: { RELAY_URL: relay.url, SUBSCRIBERS: SUBSCRIBERS_PER_PROC, PROC_INDEX: proc },
      }),
    )
    await Promise.all(subscribers.map((child) => child.waitFor(/^READY/, 30_000)))
    const publisher = spawn({
      name: 'publisher',
      script: 'processes/mesh-publisher.ts',
      env: { RELAY_URL: relay.url, PROCS: SUBSCRIBER_PROCS },
    })
    await publisher.waitFor(/^READY/, 15_000)
    const start = Date.now() + settings.warmupMs
    const end = start + settings.durationMs
    for (const child of subscribers) child.send(`WINDOW ${start} ${end}`)
    publisher.send(`GO ${end}`)
    const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
    const results = await Promise.all(
      subscribers.map((child) => child.result<{ deliveries: number; window_ms: number }>(deadline)),
    )
    const { published } = await publisher.result<{ published: number }>(deadline)
    const perSecond = results.reduce((sum, r) => sum + (r.deliveries * 1000) / r.window_ms, 0)
    return {
      scenario: 'pubsub',
      system,
      inflight: null,
      rps: Math.round(perSecond),
      p50_us: null,
      p99_us: null,
      deliveries_per_s: Math.round(perSecond),
      subscribers: SUBSCRIBER_PROCS * SUBSCRIBERS_PER_PROC,
      published,
    }
  })
}
