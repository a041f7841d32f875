import { mkdirSync, readFileSync } from 'node:fs'
import {
  callStamps,
  type GcSpan,
  gcSpans,
  type HopFigures,
  hopFigures,
  LIMIT_CHAIN,
  MESH_CHAIN,
  measuredWindow,
  type ProbeLog,
  type ProcessCosts,
  processCosts,
} from '../breakdown/analyze.js'
import { askCensus, perUnit } from '../breakdown/census.js'
import { Ev, type ProbeMode } from '../breakdown/events.js'
import { type Child, withChildren } from '../child.js'
import type { LoopResult } from '../closed-loop.js'
import type { BenchSettings } from '../results.js'
import { loopEnv, resultDeadline, startLimitRelay, startMeshRelay } from './relays.js'

/** Where a serial call's time and allocations go, for one system. */
export interface Breakdown {
  system: 'spider-mesh-bun' | 'limit-bun'
  /** The time-mode run: per-hop figures, calls analysed and left out. */
  hops: HopFigures[]
  calls: number
  skipped: number
  /** What the caller measured in the time-mode run (with the probes on). */
  loop: LoopResult
  /** The heap-mode run: costs per call of each process, and spans with a collection in them. */
  costs: Record<'caller' | 'relay' | 'provider', ProcessCosts>
  gc: GcSpan[]
  /** Objects allocated per call by type in each process (Spider Mesh only: the limit has no objects to speak of). */
  objects: Record<'caller' | 'relay' | 'provider', Record<string, number>> | null
}

const dir = new URL('../results/breakdown/', import.meta.url).pathname

/**
 * One call at a time through `system` on Bun, twice with the probes of breakdown/probe.ts: a
 * `time` run stamps every hop (the numbers of the per-hop table), then a `heap` run reads the
 * heap size at each event instead (allocations, collections, scheduled tasks per call). The two
 * are apart so that reading the heap (~0.7 µs) does not lengthen the hops being timed.
 */
export function runBreakdown(settings: BenchSettings, system: Breakdown['system']): Promise<Breakdown> {
  mkdirSync(dir, { recursive: true })
  return withChildren(async (spawn) => {
    const probed = (kind: string) => ({ BREAKDOWN: 1, BREAKDOWN_KIND: kind })
    const mesh = system === 'spider-mesh-bun'
    const relay = mesh
      ? await startMeshRelay(spawn, 'bun', undefined, probed('relay'))
      : await startLimitRelay(spawn, 'bun', undefined, probed('relay'))
    // The relay tells the two sockets apart by the role in their URL (the limit's scripts add it).
    const url = (role: string) => (mesh ? `${relay.url}/?role=${role}` : relay.url)
    const provider = spawn({
      name: `${system} provider (probed)`,
      script: mesh ? 'processes/mesh-provider.ts' : 'processes/limit-provider.ts',
      env: { ...probed('provider'), RELAY_URL: url('provider') },
    })
    await provider.waitFor(/^READY/, 15_000)
    const chain = mesh ? MESH_CHAIN : LIMIT_CHAIN
    let objects: Breakdown['objects'] = null
    const run = async (mode: ProbeMode) => {
      for (const child of [relay.child, provider]) child.send(`PROBE_MODE ${mode}`)
      settings.log(`breakdown ${system}: ${mode} run, 1 call in flight`)
      const file = (name: string) => `${dir}${system}-${mode}-${name}.json`
      const caller = spawn({
        name: `${system} caller (probed, ${mode})`,
        script: mesh ? 'processes/mesh-caller.ts' : 'processes/limit-caller.ts',
        env: {
          ...loopEnv(1, settings.warmupMs, settings.durationMs),
          ...probed('caller'),
          BREAKDOWN_MODE: mode,
          BREAKDOWN_FILE: file('caller'),
          RELAY_URL: url('caller'),
          MODE: 'unary',
        },
      })
      const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
      if (mesh && mode === 'heap') objects = await objectCensus(caller, relay.child, provider, deadline)
      const loop = await caller.result<LoopResult>(deadline)
      await caller.kill()
      await Promise.all([dump(relay.child, file('relay')), dump(provider, file('provider'))])
      const read = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as ProbeLog
      return { loop, caller: read('caller'), relay: read('relay'), provider: read('provider') }
    }
    const timed = await run('time')
    const { calls, skipped } = callStamps([timed.caller, timed.relay, timed.provider], chain)
    const heap = await run('heap')
    const window = measuredWindow(heap.caller, chain[0]!)
    return {
      system,
      hops: hopFigures(calls, chain),
      calls: calls.length,
      skipped,
      loop: timed.loop,
      costs: {
        caller: processCosts(heap.caller, window, [Ev.CallerIn]),
        relay: processCosts(heap.relay, window, [Ev.RelayInFromCaller, Ev.RelayInFromProvider]),
        provider: processCosts(heap.provider, window, [Ev.ProviderIn]),
      },
      objects,
      gc: [
        gcSpans(heap.relay, Ev.RelayInFromCaller, Ev.RelayOutToProvider),
        gcSpans(heap.relay, Ev.RelayInFromProvider, Ev.RelayOutToCaller),
        gcSpans(heap.provider, Ev.ProviderIn, Ev.ProviderOut),
        ...(mesh
          ? [
              gcSpans(heap.caller, Ev.CallerCall, Ev.CallerOut),
              gcSpans(heap.caller, Ev.CallerIn, Ev.CallerDone),
            ]
          : []),
      ],
    }
  })
}

/**
 * Counts the objects each process allocates over the caller's census calls (probe.ts `census`):
 * the relay and provider count from just before the caller's first census call to just after
 * its last, so their figures hold those calls and nothing else but the odd timer.
 */
async function objectCensus(
  caller: Child,
  relay: Child,
  provider: Child,
  deadlineMs: number,
): Promise<NonNullable<Breakdown['objects']>> {
  await caller.waitFor(/^CENSUS_READY/, deadlineMs)
  await Promise.all([askCensus(relay, 'start'), askCensus(provider, 'start')])
  caller.send('GO')
  const { calls, objects } = JSON.parse((await caller.waitFor(/^CENSUS (.*)$/, 60_000))[1]!) as {
    calls: number
    objects: Record<string, number>
  }
  const [relayObjects, providerObjects] = await Promise.all([
    askCensus(relay, 'end'),
    askCensus(provider, 'end'),
  ])
  const perCall = (counts: Record<string, number>) => Object.fromEntries(perUnit(counts, calls, 0.5, 1))
  return { caller: perCall(objects), relay: perCall(relayObjects), provider: perCall(providerObjects) }
}

/** Asks a probed process to write its events to `file` and waits until it has. */
async function dump(child: Child, file: string): Promise<void> {
  const mark = child.lines.length
  child.send(`PROBE_DUMP ${file}`)
  await child.waitFor(/^PROBE_DUMPED/, 30_000, mark)
}
