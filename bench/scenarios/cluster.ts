import type { Child, ChildOptions } from '../child.js'
import { withChildren } from '../child.js'
import type { LoopResult } from '../closed-loop.js'
import { CROSS_RELAY, NATS_RTT, SINGLE_RELAY } from '../cluster-compare.js'
import { startNatsServer } from '../nats-server.js'
import { type BenchRow, type BenchSettings, loopRow, type StreamResult, streamRow } from '../results.js'
import { measureMetered } from './metered.js'
import { loopEnv, resultDeadline, startClusterRelay, startMeshProvider, startMeshRelay } from './relays.js'
import { STREAM_ITEMS } from './stream.js'
import { INFLIGHTS } from './unary.js'

/** A mesh caller on `relayUrl` (MODE unary or stream), with the loop settings of `env`. */
function meshCaller(relayUrl: string, name: string, env: Record<string, string | number>): ChildOptions {
  return { name, script: 'processes/mesh-caller.ts', env: { ...env, RELAY_URL: relayUrl } }
}

/**
 * Cross-relay calls. In one run and against each other: unary echo and 100k-item streams
 * through ONE relay (`single-relay`: provider and caller on the same relay, not clustered, the
 * `spider-mesh-bun` system), and ACROSS relays (`cross-relay`: a nats-server, relay A with the
 * provider, relay B with the caller, both with `cluster: { nats }`). `nats-rtt` times raw NATS
 * request/reply between two processes on the same server: the floor of the extra hop.
 *
 * Everything starts first and stays up; then each figure runs its caller alone, alternating
 * single and cross per setting (seconds apart, so background noise hits both alike). Idle
 * processes cost nothing but the cluster heartbeats (1 message per relay per second).
 */
export function clusterScenario(settings: BenchSettings): Promise<BenchRow[]> {
  let cleanup = () => {}
  return withChildren(async (spawn) => {
    settings.log('cluster: starting nats-server, the relays and the providers')
    const nats = await startNatsServer(spawn)
    cleanup = nats.cleanup
    const single = await startMeshRelay(spawn, 'bun')
    const singleProvider = await startMeshProvider(spawn, single.url, {
      name: 'mesh provider (single relay)',
    })
    const relayA = await startClusterRelay(spawn, nats.url, 'A')
    const relayB = await startClusterRelay(spawn, nats.url, 'B')
    const providerA = await startMeshProvider(spawn, relayA.url, { name: 'mesh provider (relay A)' })
    const responder = spawn({
      name: 'nats responder',
      script: 'processes/nats-responder.ts',
      env: { NATS_URL: nats.url },
    })
    await responder.waitFor(/^READY/, 15_000)

    // The processes each kind of call crosses besides its caller, in path order.
    const paths: Record<string, Record<string, Child>> = {
      [SINGLE_RELAY]: { relay: single.child, provider: singleProvider },
      [CROSS_RELAY]: { relay_b: relayB.child, nats: nats.child, relay_a: relayA.child, provider: providerA },
      [NATS_RTT]: { nats: nats.child, responder },
    }
    const deadline = resultDeadline(settings.warmupMs, settings.durationMs)
    const rows: BenchRow[] = []
    for (const inflight of INFLIGHTS) {
      const env = { ...loopEnv(inflight, settings.warmupMs, settings.durationMs), MODE: 'unary' }
      const callers: [string, ChildOptions][] = [
        [SINGLE_RELAY, meshCaller(single.url, `mesh caller @${inflight} (single relay)`, env)],
        [CROSS_RELAY, meshCaller(relayB.url, `mesh caller @${inflight} (relay B)`, env)],
        [
          NATS_RTT,
          {
            name: `nats caller @${inflight}`,
            script: 'processes/nats-caller.ts',
            env: { ...env, NATS_URL: nats.url },
          },
        ],
      ]
      for (const [system, options] of callers) {
        settings.log(`cluster ${system} unary @${inflight}`)
        const { result: r, cpu } = await measureMetered<LoopResult>(
          spawn,
          options,
          paths[system]!,
          deadline,
          (x) => x.count,
        )
        rows.push({ ...loopRow('cluster', system, inflight, r), ...cpu })
      }
    }

    const streamEnv = { ...loopEnv(1, settings.warmupMs, settings.durationMs), MODE: 'stream', STREAM_ITEMS }
    const streams: [string, string][] = [
      [SINGLE_RELAY, single.url],
      [CROSS_RELAY, relayB.url],
    ]
    for (const [system, url] of streams) {
      settings.log(`cluster ${system} stream`)
      // Streams run whole, so allow for a slow one on top of the duration (as the stream scenario).
      const { result: r, cpu } = await measureMetered<StreamResult>(
        spawn,
        meshCaller(url, `mesh stream caller (${system})`, streamEnv),
        paths[system]!,
        deadline + 60_000,
        (x) => x.streams * STREAM_ITEMS,
      )
      rows.push({ ...streamRow('cluster-stream', system, r), ...cpu })
    }
    return rows
  }).finally(() => cleanup())
}
