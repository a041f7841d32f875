import { withChildren } from '../child.js'
import { type BenchRow, type BenchSettings, type StreamResult, streamRow } from '../results.js'
import { type Adapter, loopEnv, resultDeadline, startMeshRelay } from './relays.js'

/** Items per stream, as the issue asks: one 100k-item Observable stream. */
export const STREAM_ITEMS = 100_000

/** Items/s of 100k-item Observable streams from the provider, streamed back to back for the duration. */
export function meshStream(settings: BenchSettings, adapter: Adapter): Promise<BenchRow> {
  return withChildren(async (spawn) => {
    settings.log(`stream spider-mesh-${adapter}`)
    const relay = await startMeshRelay(spawn, adapter)
    const provider = spawn({
      name: 'mesh provider',
      script: 'processes/mesh-provider.ts',
      env: { RELAY_URL: relay.url },
    })
    await provider.waitFor(/^READY/, 15_000)
    const caller = spawn({
      name: 'mesh stream caller',
      script: 'processes/mesh-caller.ts',
      env: {
        ...loopEnv(1, settings.warmupMs, settings.durationMs),
        RELAY_URL: relay.url,
        MODE: 'stream',
        STREAM_ITEMS,
      },
    })
    // Streams run whole, so allow for a slow one on top of the duration.
    const r = await caller.result<StreamResult>(
      resultDeadline(settings.warmupMs, settings.durationMs) + 60_000,
    )
    return streamRow('stream', `spider-mesh-${adapter}`, r)
  })
}
