/**
 * The Spider Mesh benchmark. Starts relays, providers and callers as separate processes on
 * 127.0.0.1 and prints a table (or `--json`: one object per line).
 *
 *   bun bench/run.ts [--quick] [--json] [--chart] [--runs N]
 *                    [--only unary,stream,stream-stopped,pubsub,cluster,history,socketio-adapter,idle,records,presence]
 *                    [--connections N] [--peers] [--profile] [--check] [--breakdown] [--cpus LIST]
 *
 * `--profile` makes every child process write a CPU profile (markdown) into bench/results/profiles/.
 * `--quick` measures each scenario for 3 s after a 1 s warm-up (full: 10 s after 2 s); a calling
 * loop warms up for at least 25,000 calls too, up to 10 s (scenarios/relays.ts). `--runs N`
 * repeats everything and reports the median of each figure. `--chart` writes bench/chart.svg.
 * `--peers` also runs the unary workload through Socket.IO and Moleculer, next to Spider Mesh and
 * the limit on Bun (installing them into bench/node_modules first when missing); `bun run
 * bench:peers` is `--peers --only unary`. `cluster` compares calls across two relays joined over a
 * nats-server (which it starts itself) with calls through one relay. `--check` (alone it runs
 * only unary) exits 1 when a same-run ratio is outside its bound in bench/thresholds.json.
 * `presence` counts the joins a watcher sees while 50 nodes join and leave a topic's presence, on
 * one relay and across two relays of a cluster (a nats-server with JetStream, started by it).
 * `--breakdown` measures only where one call at a time spends its time, per hop (Bun), and
 * prints Markdown tables (scenarios/breakdown.ts).
 * `socketio-adapter` scales Socket.IO over three servers with @spider-mesh/socket.io,
 * @socket.io/redis-adapter (on a redis-server it starts itself) and @socket.io/cluster-adapter.
 * `--cpus 0` runs every process of every system on those CPUs (`taskset -c` list; cpu-pinning.ts):
 * serial latency without the VM's cross-CPU wake-ups, for comparing code. Not for throughput.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { formatBreakdown, medianBreakdown } from './breakdown/report.js'
import { renderChart } from './chart.js'
import { killAllNow } from './child.js'
import { formatClusterReport, withClusterRatios } from './cluster-compare.js'
import { CPUS_ENV, checkCpuList, tasksetPath } from './cpu-pinning.js'
import { prepareNodeScripts } from './node-scripts.js'
import {
  type BenchRow,
  type BenchSettings,
  describeRatios,
  describeRelayCpu,
  medianRows,
  unaryRatios,
  withRatios,
} from './results.js'
import { type Breakdown, runBreakdown } from './scenarios/breakdown.js'
import { clusterScenario } from './scenarios/cluster.js'
import { historyScenario } from './scenarios/history.js'
import { idleMemory } from './scenarios/idle.js'
import { ensurePeersInstalled, moleculerSystem, socketioSystem } from './scenarios/peers.js'
import { presenceScenario } from './scenarios/presence.js'
import { meshPubsub } from './scenarios/pubsub.js'
import { formatRecordsReport, recordsScenario } from './scenarios/records.js'
import { WARMUP_CALLS, WARMUP_MAX_MS } from './scenarios/relays.js'
import { formatSocketioReport, socketioAdapterScenario } from './scenarios/socketio-adapter.js'
import { meshStream, stoppedConsumer } from './scenarios/stream.js'
import { limitSystem, meshSystem, runUnary } from './scenarios/unary.js'
import { sourceFingerprint } from './source-fingerprint.js'
import { formatNumber, formatTable } from './table.js'
import { checkThresholds, parseThresholds } from './thresholds.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    chart: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
    connections: { type: 'string', default: '10000' },
    profile: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    breakdown: { type: 'boolean', default: false },
    cpus: { type: 'string' },
  },
})

if (args.cpus !== undefined) {
  try {
    tasksetPath()
    process.env[CPUS_ENV] = checkCpuList(args.cpus)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(2)
  }
}

const settings: BenchSettings = {
  quick: args.quick,
  warmupMs: args.quick ? 1000 : 2000,
  durationMs: args.quick ? 3000 : 10_000,
  idleConnections: Number(args.connections),
  log: (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`),
}

if (args.profile) {
  const dir = new URL('results/profiles/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  process.env.BENCH_PROFILE_DIR = dir
}

// Children die with the bench: on a signal, on an uncaught error, and on a normal exit.
process.on('exit', killAllNow)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAllNow()
    process.exit(130)
  })
}

/** A scenario step: its scenario, the systems it measures (named in a failure row) and the run. */
type Step = [BenchRow['scenario'], string, () => Promise<BenchRow | BenchRow[]>]
// --check guards unary ratios only, so by itself it measures only unary (about 3.5 min with --runs 3).
const wanted = new Set(
  (
    args.only ??
    (args.check
      ? 'unary'
      : 'unary,stream,stream-stopped,pubsub,cluster,history,socketio-adapter,idle,records,presence')
  ).split(','),
)
const peers = args.peers ? [socketioSystem, moleculerSystem] : []
const bunUnary = [limitSystem('bun'), meshSystem('bun'), ...peers]
const steps: Step[] = [
  ['unary', bunUnary.map((s) => s.name).join(', '), () => runUnary(settings, bunUnary)],
  [
    'unary',
    'limit-node, spider-mesh-node',
    () => runUnary(settings, [limitSystem('node'), meshSystem('node')]),
  ],
  [
    'unary',
    'limit-nodejs, spider-mesh-nodejs',
    () => runUnary(settings, [limitSystem('nodejs'), meshSystem('nodejs')]),
  ],
  ['stream', 'spider-mesh-bun', () => meshStream(settings, 'bun')],
  ['stream', 'spider-mesh-node', () => meshStream(settings, 'node')],
  // Flow control: the same stream with three windows, and what the relay holds for a stopped reader.
  ['stream', 'spider-mesh-bun window 16', () => meshStream(settings, 'bun', 16)],
  ['stream', 'spider-mesh-bun window 1024', () => meshStream(settings, 'bun', 1024)],
  ['stream-stopped', 'spider-mesh-bun', () => stoppedConsumer(settings, 'bun')],
  ['stream-stopped', 'spider-mesh-node', () => stoppedConsumer(settings, 'node')],
  ['pubsub', 'spider-mesh-bun', () => meshPubsub(settings, 'bun')],
  ['pubsub', 'spider-mesh-node', () => meshPubsub(settings, 'node')],
  ['cluster', 'single-relay, cross-relay, nats-rtt', () => clusterScenario(settings)],
  ['history', 'single-relay, cluster', () => historyScenario(settings)],
  ['presence', 'single-relay, cluster', () => presenceScenario(settings)],
  [
    'socketio-adapter',
    'spider-mesh, redis-adapter, cluster-adapter',
    () => socketioAdapterScenario(settings),
  ],
  ['records', 'single-relay and cluster, full and patch', () => recordsScenario(settings)],
  ['idle', 'spider-mesh-bun', () => idleMemory(settings, 'spider-mesh', 'bun')],
  ['idle', 'spider-mesh-node', () => idleMemory(settings, 'spider-mesh', 'node')],
  ['idle', 'limit-bun', () => idleMemory(settings, 'limit', 'bun')],
  ['idle', 'limit-node', () => idleMemory(settings, 'limit', 'node')],
  ['idle', 'spider-mesh-nodejs', () => idleMemory(settings, 'spider-mesh', 'nodejs')],
  ['idle', 'limit-nodejs', () => idleMemory(settings, 'limit', 'nodejs')],
]

if (args.breakdown) {
  // Where a serial call's time goes (issue 14): its own mode, nothing else is measured.
  const runs = Math.max(1, Math.min(20, Number(args.runs) || 1))
  const mesh: Breakdown[] = []
  const limit: Breakdown[] = []
  // Alternating, so that what the machine's other load does hits both systems alike.
  for (let run = 1; run <= runs; run++) {
    mesh.push(await runBreakdown(settings, 'spider-mesh-bun'))
    limit.push(await runBreakdown(settings, 'limit-bun'))
  }
  const results = [medianBreakdown(mesh), medianBreakdown(limit)]
  if (runs > 1 && !args.json) console.log(`Median of ${runs} runs of each system (alternating).\n`)
  if (args.json) for (const r of results) console.log(JSON.stringify(r))
  else console.log(formatBreakdown(results))
  process.exit(0)
}
if (args.peers) ensurePeersInstalled(settings)
// The Node.js systems run the built packages: a stale dist fails here, before minutes of measuring.
if (steps.some(([scenario, systems]) => wanted.has(scenario) && systems.includes('-nodejs'))) {
  await prepareNodeScripts().catch((err: Error) => {
    console.error(err.message)
    process.exit(1)
  })
}
const [load] = loadavg()
if (load! > availableParallelism() / 2) {
  settings.log(
    `the machine is busy (1-minute load ${load!.toFixed(1)} on ${availableParallelism()} cores): expect noise`,
  )
}
const runs = Math.max(1, Math.min(20, Number(args.runs) || 1))
const sourcesAtStart = sourceFingerprint()
const results: BenchRow[][] = []
let failures = 0
const t0 = performance.now()
for (let run = 1; run <= runs; run++) {
  if (runs > 1) settings.log(`run ${run} of ${runs}`)
  const rows: BenchRow[] = []
  for (const [scenario, systems, step] of steps) {
    if (!wanted.has(scenario)) continue
    try {
      rows.push(...[await step()].flat())
    } catch (err) {
      failures++
      const message = err instanceof Error ? err.message : String(err)
      settings.log(`FAILED: ${message}`)
      // The failure is a result too: it shows in the table and the JSON, with its first line.
      const error = message.split('\n')[0]!
      rows.push({
        scenario,
        system: systems,
        inflight: null,
        rps: Number.NaN,
        p50_us: null,
        p99_us: null,
        error,
      })
    }
  }
  results.push(rows)
}
const rows = withClusterRatios(withRatios(medianRows(results)))
if (sourceFingerprint() !== sourcesAtStart) {
  settings.log('WARNING: packages/ sources changed during the run: processes may have run different code')
}
settings.log(`done in ${Math.round((performance.now() - t0) / 1000)} s`)

if (args.json) {
  for (const row of rows) console.log(JSON.stringify(row))
} else {
  const unit: Record<BenchRow['scenario'], string> = {
    unary: 'req/s',
    stream: 'items/s',
    'stream-stopped': 'KB relay RSS growth',
    pubsub: 'deliveries/s',
    idle: 'KB/conn',
    cluster: 'req/s',
    'cluster-stream': 'items/s',
    'socketio-adapter': '-',
    'socketio-broadcast': 'bcasts/s',
    'socketio-ssea': 'calls/s',
    records: 'updates/s',
    history: 'items/s',
    presence: 'joins seen/s',
  }
  const warmUp = `${settings.warmupMs / 1000} s warm-up (callers: at least ${formatNumber(WARMUP_CALLS)} calls, at most ${WARMUP_MAX_MS / 1000} s)`
  const pinned = args.cpus === undefined ? '' : `, every process on CPUs ${args.cpus}`
  const mode = `${args.quick ? 'quick' : 'full'}: ${warmUp}, ${settings.durationMs / 1000} s measured${pinned}`
  console.log(`Spider Mesh bench (${mode}${runs > 1 ? `, median of ${runs} runs` : ''})\n`)
  console.log(
    formatTable(
      ['scenario', 'system', 'inflight', 'figure', 'unit', 'p50 µs', 'p99 µs', 'rps ×limit', 'p99 ×limit'],
      rows.map((r) => [
        r.scenario,
        r.system,
        formatNumber(r.inflight),
        typeof r.error === 'string' ? 'FAILED' : formatNumber(r.rps),
        unit[r.scenario],
        formatNumber(r.p50_us),
        formatNumber(r.p99_us),
        typeof r.rps_vs_limit === 'number' ? `${r.rps_vs_limit}×` : '-',
        typeof r.p99_vs_limit === 'number' ? `${r.p99_vs_limit}×` : '-',
      ]),
    ),
  )
  for (const r of rows.filter((row) => typeof row.error === 'string')) {
    console.log(`  FAILED ${r.scenario} (${r.system}): ${r.error}`)
  }
  const lines = describeRatios(unaryRatios(rows))
  if (lines.length > 0)
    console.log(`\nRatios to the limit (same run):\n${lines.map((l) => `  ${l}`).join('\n')}`)
  const cpu = describeRelayCpu(rows)
  if (cpu.length > 0)
    console.log(
      `\nRelay CPU per forwarded call (/proc utime+stime over the measured window):\n${cpu.map((l) => `  ${l}`).join('\n')}`,
    )
  const cluster = formatClusterReport(rows)
  if (cluster) console.log(`\nCross-relay (cluster) against one relay (same run):\n${cluster}`)
  const socketio = formatSocketioReport(rows)
  if (socketio) console.log(`\nSocket.IO adapters, 3 servers (same run):\n${socketio}`)
  const records = formatRecordsReport(rows)
  if (records) console.log(`\nVersioned records, 100 watchers (same run):\n${records}`)
  const churn = rows.filter((r) => r.scenario === 'presence' && typeof r.error !== 'string')
  if (churn.length > 0) {
    console.log('\nPresence churn (50 nodes setting and clearing state, one watcher):')
    for (const r of churn) {
      console.log(
        `  ${r.system}: ${formatNumber(r.rps)} joins seen/s in ${formatNumber(r.lists_per_s as number)} lists/s; ${formatNumber(r.joins_made_per_s as number)} joins made/s`,
      )
    }
  }
  for (const row of rows.filter((r) => r.scenario === 'idle' && r.system.startsWith('spider-mesh'))) {
    const met = (row.kb_per_conn as number) <= 10 ? 'met' : 'NOT met'
    console.log(`  ${row.system} idle: ${row.kb_per_conn} KB per connection (target ≤ 10 KB: ${met})`)
  }
}

if (args.chart) {
  const path = new URL('chart.svg', import.meta.url).pathname
  const subtitle = `${args.quick ? '--quick' : 'full run'}${runs > 1 ? `, median of ${runs} runs` : ''}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}, ${new Date().toISOString().slice(0, 10)}`
  writeFileSync(path, renderChart(rows, subtitle))
  settings.log(`wrote ${path}`)
}
if (args.check) {
  const thresholds = parseThresholds(readFileSync(new URL('thresholds.json', import.meta.url), 'utf8'))
  const outcomes = checkThresholds(rows, thresholds)
  const failed = outcomes.filter((o) => !o.ok)
  // In --json mode stdout stays one JSON object per line: the verdict goes to stderr.
  const out = args.json ? console.error : console.log
  out(`\nCheck against bench/thresholds.json (same-run ratios):`)
  for (const o of outcomes) out(`  ${o.line}`)
  out(failed.length > 0 ? `${failed.length} of ${outcomes.length} thresholds FAILED` : 'all thresholds met')
  if (failed.length > 0) failures++
}
process.exit(failures > 0 ? 1 : 0)
