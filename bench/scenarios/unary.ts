import type { ChildOptions } from '../child.js'
import { withChildren } from '../child.js'
import type { LoopResult } from '../closed-loop.js'
import { type BenchRow, type BenchSettings, loopRow } from '../results.js'
import {
  type Adapter,
  loopEnv,
  resultDeadline,
  type Spawn,
  startLimitRelay,
  startMeshRelay,
} from './relays.js'

/** Calls in flight the unary scenario measures. */
export const INFLIGHTS = [1, 64]

/**
 * A system the unary workload runs through: `setup` starts its relay and provider and returns how
 * to start a caller for a given number of calls in flight (loop settings come from `loopEnv`).
 */
export interface UnarySystem {
  name: string
  setup(spawn: Spawn): Promise<(env: Record<string, string | number>) => ChildOptions>
}

/** Spider Mesh: the real relay, a provider serving BenchEcho, `await proxy.echo(payload)` callers. */
export function meshSystem(adapter: Adapter): UnarySystem {
  return {
    name: `spider-mesh-${adapter}`,
    async setup(spawn) {
      const relay = await startMeshRelay(spawn, adapter)
      const provider = spawn({
        name: 'mesh provider',
        script: 'processes/mesh-provider.ts',
        env: { RELAY_URL: relay.url },
      })
      await provider.waitFor(/^READY/, 15_000)
      return (env) => ({
        name: `mesh caller @${env.INFLIGHT}`,
        script: 'processes/mesh-caller.ts',
        env: { ...env, RELAY_URL: relay.url, MODE: 'unary' },
      })
    },
  }
}

/** The wire limit: the byte-forwarding relay with an equally bare caller and provider. */
export function limitSystem(adapter: Adapter): UnarySystem {
  return {
    name: `limit-${adapter}`,
    async setup(spawn) {
      const relay = await startLimitRelay(spawn, adapter)
      const provider = spawn({
        name: 'limit provider',
        script: 'processes/limit-provider.ts',
        env: { RELAY_URL: relay.url },
      })
      await provider.waitFor(/^READY/, 15_000)
      return (env) => ({
        name: `limit caller @${env.INFLIGHT}`,
        script: 'processes/limit-caller.ts',
        env: { ...env, RELAY_URL: relay.url },
      })
    },
  }
}

/**
 * Unary echo through each system. All relays and providers start first (idle ones cost nothing);
 * then, per calls-in-flight setting, one caller process per system runs in turn, so a system and
 * its limit are measured seconds apart and background noise hits both alike.
 */
export function runUnary(settings: BenchSettings, systems: UnarySystem[]): Promise<BenchRow[]> {
  return withChildren(async (spawn) => {
    const starters: ((env: Record<string, string | number>) => ChildOptions)[] = []
    for (const system of systems) starters.push(await system.setup(spawn))
    const rows: BenchRow[] = []
    for (const inflight of INFLIGHTS) {
      for (const [i, system] of systems.entries()) {
        settings.log(`unary ${system.name} @${inflight}`)
        const caller = spawn(starters[i]!(loopEnv(inflight, settings.warmupMs, settings.durationMs)))
        const r = await caller.result<LoopResult>(resultDeadline(settings.warmupMs, settings.durationMs))
        await caller.kill()
        rows.push(loopRow('unary', system.name, inflight, r))
      }
    }
    return rows
  })
}
