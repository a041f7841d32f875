/**
 * What the relay keeps per idle connection, by object type: the JS heap's objects counted after a
 * full collection before and after COUNT client-role sockets connect and say Hello (and stay
 * open), divided by COUNT. The idle scenario's RSS figure moves by ±0.4 KB between runs on this
 * machine; a count of objects does not, so it shows what a change to per-connection state did.
 * Bun only (`bun:jsc` heapStats).
 *
 *   bun bench/idle-census.ts [bun|node] [COUNT=2000]
 *
 * Prints one line per type (objects per connection, at least 0.05) and a total line.
 */
import { askCensus, perUnit } from './breakdown/census.js'
import { killAll, withChildren } from './child.js'
import { connectIdle } from './scenarios/idle.js'
import { startMeshRelay } from './scenarios/relays.js'

/** The relay's objects per idle connection: starts a relay and COUNT idle sockets, stops both. */
export function idleCensus(adapter: 'bun' | 'node', count: number): Promise<[string, number][]> {
  return withChildren(async (spawn) => {
    const relay = await startMeshRelay(spawn, adapter)
    // `start` collects all garbage, then counts; the connections' own garbage is collected
    // before `end` counts, so what remains is what the relay keeps.
    await askCensus(relay.child, 'start')
    const { connected } = await connectIdle(spawn, relay, count, true, undefined)
    if (connected !== count) throw new Error(`only ${connected} of ${count} idle sockets connected`)
    await Bun.sleep(500)
    await relay.child.ask('GC', /^GC_DONE/, 30_000)
    return perUnit(await askCensus(relay.child, 'end'), count)
  })
}

if (import.meta.main) {
  const adapter = process.argv[2] === 'node' ? 'node' : 'bun'
  const count = Number(process.argv[3] ?? 2000)
  try {
    const rows = await idleCensus(adapter, count)
    let total = 0
    for (const [type, n] of rows) {
      total += n
      console.log(`${n.toFixed(2).padStart(8)}  ${type}`)
    }
    console.log(`${total.toFixed(1)} objects per idle connection (${adapter} adapter, ${count} connections)`)
  } finally {
    killAll()
  }
}
