import type { Child, ChildOptions } from '../child.js'

/** Starts processes; the scenario's `withChildren` kills them at its end. */
export type Spawn = (options: ChildOptions) => Child

/** A relay process and the URL nodes connect to. */
export interface RunningRelay {
  child: Child
  url: string
}

/** Which socket library a relay runs on. */
export type Adapter = 'bun' | 'node'

/**
 * A system's runtime and socket library, the suffix of its name: `bun` (`Bun.serve`), `node`
 * (Bun's reimplementation of `ws`, still under Bun), `nodejs` (real Node.js, the npm `ws`
 * package, the built packages; relay, provider and caller alike).
 */
export type Flavor = Adapter | 'nodejs'

/** The socket library of a flavor's relay. */
export function adapterOf(flavor: Flavor): Adapter {
  return flavor === 'bun' ? 'bun' : 'node'
}

/** The runtime of a flavor's processes. */
export function runtimeOf(flavor: Flavor): 'bun' | 'node' {
  return flavor === 'nodejs' ? 'node' : 'bun'
}

/** Starts the Spider Mesh relay (bench/processes/mesh-relay.ts) on 127.0.0.1 and an ephemeral port. */
export async function startMeshRelay(
  spawn: Spawn,
  flavor: Flavor,
  openFiles?: number,
  env: Record<string, string | number> = {},
): Promise<RunningRelay> {
  const child = spawn({
    name: `spider-mesh relay (${flavor})`,
    script: 'processes/mesh-relay.ts',
    runtime: runtimeOf(flavor),
    env: { HOST: '127.0.0.1', PORT: 0, RELAY_ADAPTER: adapterOf(flavor), ...env },
    ...(openFiles ? { openFiles } : {}),
  })
  const match = await child.waitFor(/listening on (ws:\/\/\S+)/, 15_000)
  return { child, url: match[1]! }
}

/**
 * Starts a Spider Mesh relay (Bun adapter) that joins the relay cluster on the NATS server at
 * `natsUrl` as `name`. It listens before it has joined NATS (joining is in the background): a
 * caller's `proxy.wait()` is what proves the other relays' providers are known to it.
 */
export async function startClusterRelay(
  spawn: Spawn,
  natsUrl: string,
  name: string,
  env: Record<string, string | number> = {},
): Promise<RunningRelay> {
  const child = spawn({
    name: `spider-mesh relay ${name} (cluster)`,
    script: 'processes/mesh-relay.ts',
    env: { HOST: '127.0.0.1', PORT: 0, RELAY_ADAPTER: 'bun', NATS_URL: natsUrl, CLUSTER_NAME: name, ...env },
  })
  const match = await child.waitFor(/listening on (ws:\/\/\S+)/, 15_000)
  return { child, url: match[1]! }
}

/** Starts the byte-forwarding limit relay (bench/limit-relay.ts) of `flavor`. */
export async function startLimitRelay(
  spawn: Spawn,
  flavor: Flavor,
  openFiles?: number,
  env: Record<string, string | number> = {},
): Promise<RunningRelay> {
  const child = spawn({
    name: `limit relay (${flavor})`,
    script: 'processes/limit-relay.ts',
    runtime: runtimeOf(flavor),
    env: { HOST: '127.0.0.1', PORT: 0, LIMIT_ADAPTER: adapterOf(flavor), ...env },
    ...(openFiles ? { openFiles } : {}),
  })
  const match = await child.waitFor(/listening on (ws:\/\/\S+)/, 15_000)
  return { child, url: match[1]! }
}

/**
 * A caller's warm-up lasts at least this many calls, up to WARMUP_MAX_MS. JavaScriptCore compiles
 * a hot function to its top tier after a count of runs, on a helper thread: one call in flight
 * makes ~5k calls a second, and a mesh caller's p99 stayed 2–5× its steady value for its first
 * ~17k calls (~3 s) while its 65 FTL compiles (~400 ms of CPU) ran (bench/README.md, "Warm-up").
 */
export const WARMUP_CALLS = 25_000
export const WARMUP_MAX_MS = 10_000

/** The loop settings of a measuring caller (see closed-loop.ts). */
export function loopEnv(inflight: number, warmupMs: number, durationMs: number): Record<string, number> {
  return {
    INFLIGHT: inflight,
    WARMUP_MS: warmupMs,
    WARMUP_CALLS,
    WARMUP_MAX_MS,
    DURATION_MS: durationMs,
  }
}

/** How long to wait for a measuring child's result: its run (the longest warm-up) plus a margin. */
export function resultDeadline(warmupMs: number, durationMs: number): number {
  return Math.max(warmupMs, WARMUP_MAX_MS) + durationMs + 30_000
}

/** Starts a mesh provider (BenchEcho) on `relayUrl` and waits until the relay has welcomed it. */
export async function startMeshProvider(
  spawn: Spawn,
  relayUrl: string,
  options: { name?: string; runtime?: 'bun' | 'node' } = {},
): Promise<Child> {
  const provider = spawn({
    name: options.name ?? 'mesh provider',
    script: 'processes/mesh-provider.ts',
    ...(options.runtime ? { runtime: options.runtime } : {}),
    env: { RELAY_URL: relayUrl },
  })
  await provider.waitFor(/^READY/, 15_000)
  return provider
}
