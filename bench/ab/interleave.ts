/**
 * Interleaved A/B of serial calls between two checkouts (two builds of the packages) on this
 * machine: each checkout's relay, provider and caller run at once, idle but for their turn, and
 * their callers take turns in short rounds, in the order A B B A A B… (the unary scenario's
 * turnOrder), so a drift of the
 * machine's speed (this 2-core VM's serial p50 moved from 110 to 165 µs within minutes) lands on
 * both alike. Prints p50, p99 and mean per checkout and the CPU µs per call of each process,
 * with the B/A ratios. For people, not for `npm test`; both checkouts must be built.
 *
 *   bun bench/ab/interleave.ts ROOT_A ROOT_B [ROUNDS=20] [CALLS=2000] [WARMUP=25000] [ORDERS=2]
 *
 * ORDERS=2 runs a second session that starts B's processes first and prints the geometric mean
 * of both sessions' ratios: the side started first has run ~4% faster in some sessions here.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Child, killAll } from '../child.js'
import { CpuMeter } from '../proc-cpu.js'
import { turnOrder } from '../scenarios/unary.js'
import { percentile } from '../stats.js'
import { combinedRatios, type Side, summarize } from './ab-summary.js'

const [rootA, rootB] = [process.argv[2], process.argv[3]].map((r) => (r ? resolve(r) : undefined))
if (!rootA || !rootB) {
  console.error('usage: bun bench/ab/interleave.ts ROOT_A ROOT_B [ROUNDS] [CALLS] [WARMUP] [ORDERS]')
  process.exit(2)
}
const rounds = Number(process.argv[4] ?? 20)
const calls = Number(process.argv[5] ?? 2000)
const warmup = Number(process.argv[6] ?? 25_000)
/** 2 (the default): a second session starts B first, and the ratios are combined (ab-summary.ts). */
const orders = Number(process.argv[7] ?? 2)
const callerName = '.ab-caller.ts'
/**
 * B's provider script (relative to bench/): AB_B_PROVIDER=processes/raw-provider.ts measures
 * what the mesh's serving path costs against a provider of bytes alone (give both roots the
 * same checkout).
 */
const providerB = process.env.AB_B_PROVIDER ?? 'processes/mesh-provider.ts'
/** B's caller script (relative to bench/): AB_B_CALLER=processes/raw-caller.ts, likewise for the calling path. */
const callerB = process.env.AB_B_CALLER ?? callerName
/**
 * B's relay script (relative to bench/): AB_B_RELAY=processes/floor-relay.ts measures what the
 * relay's own work costs against a relay that forwards the bytes it receives.
 */
const relayB = process.env.AB_B_RELAY ?? 'processes/mesh-relay.ts'

interface System {
  label: string
  relay: Child
  provider: Child
  caller: Child
  side: Side
}

async function start(label: string, root: string): Promise<System> {
  for (const dir of ['packages/core/dist', 'packages/ws/dist']) {
    if (!existsSync(join(root, dir)))
      throw new Error(`${root} is not built (no ${dir}): run bun run build there`)
  }
  const bun = process.execPath
  const script = (name: string) => join(root, 'bench', name)
  copyFileSync(new URL('ab-caller.ts', import.meta.url).pathname, script(callerName))
  const relay = new Child({
    name: `${label} relay`,
    command: [bun, script(label === 'B' ? relayB : 'processes/mesh-relay.ts')],
    env: { HOST: '127.0.0.1', PORT: 0, RELAY_ADAPTER: 'bun' },
  })
  const url = (await relay.waitFor(/listening on (ws:\/\/\S+)/, 15_000))[1]!
  const provider = new Child({
    name: `${label} provider`,
    command: [bun, script(label === 'B' ? providerB : 'processes/mesh-provider.ts')],
    env: { RELAY_URL: url },
  })
  await provider.waitFor(/READY/, 15_000)
  const caller = new Child({
    name: `${label} caller`,
    command: [bun, script(label === 'B' ? callerB : callerName)],
    env: { RELAY_URL: url },
  })
  await caller.waitFor(/READY/, 20_000)
  return {
    label,
    relay,
    provider,
    caller,
    side: { latencies: [], cpu: { caller: 0, relay: 0, provider: 0 } },
  }
}

/** One round of `n` calls by `system`'s caller; its latencies go to its side. */
async function round(system: System, n: number): Promise<void> {
  const from = system.caller.lines.length
  system.caller.send(`RUN ${n}`)
  const line = (await system.caller.waitFor(/^ROUND (.*)$/, 120_000, from))[1]!
  for (const v of line.split(',')) system.side.latencies.push(Number(v))
}

/** The CPU meter of a system's three processes (idle outside its turns, as in the unary scenario). */
function meter(system: System): CpuMeter {
  return new CpuMeter({ caller: system.caller.pid, relay: system.relay.pid, provider: system.provider.pid })
}

/**
 * One session: both checkouts started (`first` first: its processes start and warm up before
 * the other's), then their turns. Stops what it started.
 */
async function session(first: 'A' | 'B'): Promise<{ a: Side; b: Side }> {
  try {
    const other = first === 'A' ? 'B' : 'A'
    const roots = { A: rootA!, B: rootB! }
    const firstSystem = await start(first, roots[first])
    const secondSystem = await start(other, roots[other])
    const [a, b] = first === 'A' ? [firstSystem, secondSystem] : [secondSystem, firstSystem]
    console.error(`[ab] ${first} started first; warming up: ${warmup} calls each`)
    for (const s of [firstSystem, secondSystem]) {
      const from = s.caller.lines.length
      s.caller.send(`RUN ${warmup}`)
      await s.caller.waitFor(/^ROUND /, 300_000, from)
    }
    const meters = [meter(a), meter(b)]
    for (const m of meters) m.start()
    for (const [i, which] of turnOrder(2, rounds).entries()) {
      await round(which === 0 ? a : b, calls)
      if (i % 10 === 9) console.error(`[ab] ${i + 1} of ${rounds * 2} turns`)
    }
    a.side.cpu = meters[0]!.perUnit(a.side.latencies.length) as Side['cpu']
    b.side.cpu = meters[1]!.perUnit(b.side.latencies.length) as Side['cpu']
    return { a: a.side, b: b.side }
  } finally {
    await killAll()
  }
}

try {
  const sessions: { a: Side; b: Side }[] = []
  for (const first of orders === 2 ? (['A', 'B'] as const) : (['A'] as const)) {
    const result = await session(first)
    sessions.push(result)
    console.log(
      `A: ${rootA}\nB: ${rootB}\n${first} started first; ${rounds} rounds of ${calls} serial calls each, after ${warmup} warm-up calls\n`,
    )
    console.log(`${summarize(result.a, result.b, percentile)}\n`)
  }
  if (sessions.length > 1) console.log(combinedRatios(sessions, percentile))
} finally {
  for (const root of [rootA, rootB]) rmSync(join(root, 'bench', callerName), { force: true })
}
