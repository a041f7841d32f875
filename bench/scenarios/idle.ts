import { readFileSync } from 'node:fs'
import { withChildren } from '../child.js'
import type { BenchRow, BenchSettings } from '../results.js'
import { type Flavor, type RunningRelay, type Spawn, startLimitRelay, startMeshRelay } from './relays.js'

/** Processes the idle sockets are spread over (each holds connections / IDLE_PROCS). */
export const IDLE_PROCS = 4
/** File descriptors a process needs beyond its sockets. */
const FD_HEADROOM = 256

/** The relay's resident memory in KB, from /proc (the relay exposes none itself). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = status.match(/^VmRSS:\s+(\d+) kB/m)
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1])
}

/** The soft and hard open-files limits of processes this bench starts. */
export function openFileLimits(): { soft: number; hard: number } {
  const out = Bun.spawnSync(['sh', '-c', 'ulimit -Sn; ulimit -Hn']).stdout.toString().trim().split('\n')
  const parse = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s))
  return { soft: parse(out[0]), hard: parse(out[1]) }
}

/**
 * RSS of the relay per idle connection: read VmRSS after a forced GC, open `connections` bare
 * client-role sockets that each send Hello (or just open, for the limit), wait a second, force a
 * GC, read VmRSS again. The connection count is lowered when the hard open-files limit is too small.
 */
export function idleMemory(
  settings: BenchSettings,
  system: 'spider-mesh' | 'limit',
  flavor: Flavor,
): Promise<BenchRow> {
  return withChildren(async (spawn) => {
    const name = `${system}-${flavor}`
    const { soft, hard } = openFileLimits()
    let connections = settings.idleConnections
    if (hard < connections + FD_HEADROOM) {
      connections = Math.max(0, hard - FD_HEADROOM)
      settings.log(`idle: the hard open-files limit is ${hard}; measuring ${connections} connections instead`)
    }
    const needed = connections + FD_HEADROOM
    const openFiles = soft < needed ? needed : undefined
    settings.log(`idle ${name}: ${connections} connections`)
    const relay =
      system === 'spider-mesh'
        ? await startMeshRelay(spawn, flavor, openFiles)
        : await startLimitRelay(spawn, flavor, openFiles)
    const before = await settledRss(relay, 300)
    const { connected, failed } = await connectIdle(
      spawn,
      relay,
      connections,
      system === 'spider-mesh',
      openFiles,
    )
    const after = await settledRss(relay, 1000)
    if (failed > 0) settings.log(`idle ${name}: ${failed} of ${connections} sockets failed to connect`)
    const kbPerConn = connected > 0 ? Math.round(((after - before) / connected) * 100) / 100 : Number.NaN
    return {
      scenario: 'idle',
      system: name,
      inflight: null,
      rps: kbPerConn,
      p50_us: null,
      p99_us: null,
      kb_per_conn: kbPerConn,
      connections: connected,
      rss_before_kb: before,
      rss_after_kb: after,
    }
  })
}

/** Waits `ms`, forces a full GC in the relay, then reads its RSS. */
async function settledRss(relay: RunningRelay, ms: number): Promise<number> {
  await Bun.sleep(ms)
  await relay.child.ask('GC', /^GC_DONE/, 10_000)
  return rssKb(relay.child.pid)
}

/**
 * Opens `connections` bare client-role sockets to the relay over IDLE_PROCS processes (each
 * saying Hello when `hello`), and answers how many connected and how many failed.
 */
export async function connectIdle(
  spawn: Spawn,
  relay: RunningRelay,
  connections: number,
  hello: boolean,
  openFiles: number | undefined,
): Promise<{ connected: number; failed: number }> {
  const perProc = Math.ceil(connections / IDLE_PROCS)
  const procs = Array.from({ length: IDLE_PROCS }, (_, i) => {
    const count = Math.max(0, Math.min(perProc, connections - i * perProc))
    return spawn({
      name: `idle sockets #${i}`,
      script: 'processes/idle-sockets.ts',
      env: { RELAY_URL: relay.url, COUNT: count, HELLO: hello ? 1 : 0, ROLE: 'client' },
      ...(openFiles ? { openFiles: Math.ceil(openFiles / IDLE_PROCS) + FD_HEADROOM } : {}),
    })
  })
  const ready = await Promise.all(procs.map((p) => p.waitFor(/^READY (\d+) (\d+)/, 120_000)))
  return {
    connected: ready.reduce((sum, m) => sum + Number(m[1]), 0),
    failed: ready.reduce((sum, m) => sum + Number(m[2]), 0),
  }
}
