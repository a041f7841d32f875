import type { Child, ChildOptions } from '../child.js'
import { withChildren } from '../child.js'
import type { LoopResult } from '../closed-loop.js'
import { type BenchRow, type BenchSettings, loopRow } from '../results.js'
import { measureMetered } from './metered.js'
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

/**
 * Unary echo through each system. All relays and providers start first (idle ones cost nothing);
 * then, per calls-in-flight setting, one caller process per system runs in turn, so a system and
 * its limit are measured seconds apart and background noise hits both alike. Each row gets the
 * CPU µs per call of the caller, the relay and the provider over the measured window
 * (`cpu_relay_us`: the relay's cost per forwarded call, request and response).
 */
export function runUnary(settings: BenchSettings, systems: UnarySystem[]): Promise<BenchRow[]> {
  return withChildren(async (spawn) => {
    const setups: UnarySetup[] = []
    for (const system of systems) setups.push(await system.setup(spawn))
    const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
    const rows: BenchRow[] = []
    for (const inflight of INFLIGHTS) {
      for (const [i, system] of systems.entries()) {
        settings.log(`unary ${system.name} @${inflight}`)
        const setup = setups[i]!
        const options = setup.caller(loopEnv(inflight, settings.warmupMs, settings.durationMs))
        const { result, cpu } = await measureMetered<LoopResult>(
          spawn,
          options,
          setup.path,
          deadline,
          (r) => r.count,
        )
        rows.push({ ...loopRow('unary', system.name, inflight, result), ...cpu })
      }
    }
    return rows
  })
}
