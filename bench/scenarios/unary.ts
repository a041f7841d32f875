import type { Child, ChildOptions } from '../child.js'
import { withChildren } from '../child.js'
import type { LoopResult } from '../closed-loop.js'
import { type BenchRow, type BenchSettings, loopRow } from '../results.js'
import { type MeteredRun, startMetered } from './metered.js'
import {
  type Flavor,
  loopEnv,
  resultDeadline,
  runtimeOf,
  type Spawn,
  startLimitRelay,
  startMeshProvider,
  startMeshRelay,
} from './relays.js'

/** Calls in flight the unary scenario measures. */
export const INFLIGHTS = [1, 64]

/** A system ready to be called: how to start a caller, and the processes a call crosses. */
export interface UnarySetup {
  /** Options of a caller for the loop settings `env` (from `loopEnv`); it prints MEASURING. */
  caller(env: Record<string, string | number>): ChildOptions
  /** The processes on a call's path besides the caller (`relay`, `provider`), CPU-metered per call. */
  path: Record<string, Child>
}

/** A system the unary workload runs through: `setup` starts its relay and provider. */
export interface UnarySystem {
  name: string
  setup(spawn: Spawn): Promise<UnarySetup>
}

/** Spider Mesh: the real relay, a provider serving BenchEcho, `await proxy.echo(payload)` callers. */
export function meshSystem(flavor: Flavor): UnarySystem {
  const runtime = runtimeOf(flavor)
  return {
    name: `spider-mesh-${flavor}`,
    async setup(spawn) {
      const relay = await startMeshRelay(spawn, flavor)
      const provider = await startMeshProvider(spawn, relay.url, { runtime })
      return {
        caller: (env) => ({
          name: `mesh caller @${env.INFLIGHT}`,
          script: 'processes/mesh-caller.ts',
          runtime,
          env: { ...env, RELAY_URL: relay.url, MODE: 'unary' },
        }),
        path: { relay: relay.child, provider },
      }
    },
  }
}

/** The wire limit: the byte-forwarding relay with an equally bare caller and provider. */
export function limitSystem(flavor: Flavor): UnarySystem {
  const runtime = runtimeOf(flavor)
  return {
    name: `limit-${flavor}`,
    async setup(spawn) {
      const relay = await startLimitRelay(spawn, flavor)
      const provider = spawn({
        name: 'limit provider',
        script: 'processes/limit-provider.ts',
        runtime,
        env: { RELAY_URL: relay.url },
      })
      await provider.waitFor(/^READY/, 15_000)
      return {
        caller: (env) => ({
          name: `limit caller @${env.INFLIGHT}`,
          script: 'processes/limit-caller.ts',
          runtime,
          env: { ...env, RELAY_URL: relay.url },
        }),
        path: { relay: relay.child, provider },
      }
    },
  }
}

/** Measured slices per caller: one per half second measured (quick: 6 of 0.5 s). */
export function turnsFor(durationMs: number): number {
  return Math.max(1, Math.round(durationMs / 500))
}

/**
 * Whose turn each slice is: `turns` rounds over `count` callers, in order and then reversed
 * (A B, B A, …), so each caller goes first in half the rounds.
 */
export function turnOrder(count: number, turns: number): number[] {
  const order: number[] = []
  for (let round = 0; round < turns; round++) {
    for (let k = 0; k < count; k++) order.push(round % 2 === 0 ? k : count - 1 - k)
  }
  return order
}

/**
 * Unary echo through each system. All relays and providers start first (idle ones cost nothing);
 * then, per calls-in-flight setting, every system's caller starts and warms up, and their
 * measured phases run interleaved: slices of half a second, in turns (`turnOrder`), one caller
 * at a time. This VM's speed drifts by tens of percent within minutes, so a system and its limit
 * measured one after the other, ~10 s apart, could differ by the drift alone; sliced and
 * alternated, the drift lands on both alike. Each row gets the CPU µs per call of the caller,
 * the relay and the provider over the measured window (`cpu_relay_us`: the relay's cost per
 * forwarded call, request and response); the other systems' processes sleep meanwhile.
 */
export function runUnary(settings: BenchSettings, systems: UnarySystem[]): Promise<BenchRow[]> {
  return withChildren(async (spawn) => {
    const setups: UnarySetup[] = []
    for (const system of systems) setups.push(await system.setup(spawn))
    const turns = turnsFor(settings.durationMs)
    const deadline = resultDeadline(settings.warmupMs, settings.durationMs) * (systems.length + 1)
    const rows: BenchRow[] = []
    for (const inflight of INFLIGHTS) {
      settings.log(
        `unary @${inflight}: ${systems.map((s) => s.name).join(', ')} (warm-up, then ${turns} turns each)`,
      )
      const env = { ...loopEnv(inflight, settings.warmupMs, settings.durationMs), TURNS: turns }
      // One warm-up at a time: each caller's warm-up has the machine to itself, as before.
      const runs: MeteredRun[] = []
      for (const setup of setups)
        runs.push(await startMetered(spawn, setup.caller(env), setup.path, deadline))
      for (const who of turnOrder(runs.length, turns)) {
        const caller = runs[who]!.caller
        const from = caller.lines.length
        caller.send('TURN')
        await caller.waitFor(/^TURN_DONE/, deadline, from)
      }
      for (const [i, run] of runs.entries()) {
        const { result, cpu } = await run.finish<LoopResult>((r) => r.count)
        rows.push({ ...loopRow('unary', systems[i]!.name, inflight, result), ...cpu })
      }
    }
    return rows
  })
}
