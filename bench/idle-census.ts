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
import { killAll, withChildren } from './child.js'
import { startMeshRelay } from './scenarios/relays.js'

/** Objects per connection by type, most first (types under `floor` per connection left out). */
export function perConnection(
  counts: Record<string, number>,
  connections: number,
  floor = 0.05,
): [string, number][] {
  return Object.entries(counts)
    .map(([type, n]) => [type, n / connections] as [string, number])
    .filter(([, n]) => n >= floor)
    .sort((a, b) => b[1] - a[1])
}

/** The relay's objects per idle connection: starts a relay and COUNT idle sockets, stops both. */
export function idleCensus(adapter: 'bun' | 'node', count: number): Promise<[string, number][]> {
  return withChildren(async (spawn) => {
    const relay = await startMeshRelay(spawn, adapter)
    const command = async (line: string, answer: RegExp): Promise<RegExpMatchArray> => {
      const mark = relay.child.lines.length
      relay.child.send(line)
      return relay.child.waitFor(answer, 30_000, mark)
    }
    // `start` collects all garbage, then counts; the connections' own garbage is collected
    // before `end` counts, so what remains is what the relay keeps.
    await command('PROBE_CENSUS start', /^PROBE_CENSUS/)
    const sockets = spawn({
      name: 'idle sockets',
      script: 'processes/idle-sockets.ts',
      env: { RELAY_URL: relay.url, COUNT: count, ROLE: 'client', HELLO: '1' },
    })
    const connected = Number((await sockets.waitFor(/^READY (\d+) (\d+)/, 60_000))[1])
    if (connected !== count) throw new Error(`only ${connected} of ${count} idle sockets connected`)
    await Bun.sleep(500)
    await command('GC', /GC_DONE/)
    const counts = JSON.parse((await command('PROBE_CENSUS end', /^PROBE_CENSUS (.*)$/))[1]!)
    return perConnection(counts, count)
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
