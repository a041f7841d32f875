/**
 * Chaos soak: a relay process, three providers and three callers running calls and streams
 * without pause, while a chaos loop SIGKILLs and restarts providers, restarts the relay on the
 * same port (SIGKILL and SIGTERM in turn) and SIGKILLs and restarts a caller. After each action the
 * callers must complete fresh calls again before the next one. At the end: every call ended, with a
 * value or a typed error, within its timeout; streams of killed processes ended fast; the relay's
 * tables return to baseline; no process reported an unhandled rejection or uncaught exception.
 *
 * CI runs a short profile as part of `bun test e2e`; `bun run test:soak` runs the long one.
 * Environment: SOAK_PROFILE=long (60 s on each adapter), SOAK_SECONDS (chaos duration; default
 * 12, long 60), SOAK_ADAPTERS (default `bun`, long `bun,node`), SOAK_SEED (the callers' call mix).
 */
import { expect, test } from 'bun:test'
import { type ManagedProcess, until, useCleanup } from '../harness/index.js'
import { type RelayTables, relayTables } from '../harness/relay-tables.js'
import { troubleIn } from '../harness/stderr-trouble.js'
import { type CallRecord, callsOf, openStreams, outcomes, runningAt } from './call-ledger.js'
import { SoakCast } from './soak-cast.js'

useCleanup()

const env = process.env
const long = env.SOAK_PROFILE === 'long'
const SECONDS = Number(env.SOAK_SECONDS ?? (long ? 60 : 12))
const ADAPTERS = (env.SOAK_ADAPTERS ?? (long ? 'bun,node' : 'bun')).split(',') as ('bun' | 'node')[]
const SEED = Number(env.SOAK_SEED ?? Date.now() % 1_000_000)
/** Inactivity timeout of every call. */
const CALL_TIMEOUT_MS = 2000
/** How far past its timeout a call may end (timer granularity and a loaded 2-core machine). */
const LATE_MARGIN_MS = 500
/** A lost provider or relay must fail the calls it carried within this (DESIGN: "at once", "within a second"). */
const DETECTION_LIMIT_MS = 2000
/** A frozen provider is noticed by the relay's heartbeat: silence for 2.5 × 500 ms, checked every 500 ms. */
const FREEZE_DETECTION_LIMIT_MS = 2.5 * 500 + 500 + 500
/** The relay fixture's `server.close()` lets calls in flight finish for up to this long (drainTimeoutMs default). */
const RELAY_DRAIN_MS = 2000
/** Every error must carry one of these codes. */
const TYPED_CODES = new Set(['MICROSERVICE_OFFLINE', 'MICROSERVICE_RPC_TIMEOUT'])
/** Successful calls required after each chaos action before the next: proof of recovery, and the pace. */
const RECOVERY_CALLS = 40
const PROVIDERS = ['soak-p1', 'soak-p2', 'soak-p3']
const CALLERS = ['soak-c1', 'soak-c2', 'soak-c3']
const ZERO: RelayTables = { connections: 0, nodes: 0, pending: 0, subscriptions: 0, services: 0 }
const same = (a: RelayTables, b: RelayTables) => JSON.stringify(a) === JSON.stringify(b)
const max = (values: number[]) => (values.length === 0 ? 0 : Math.max(...values))

for (const adapter of ADAPTERS) {
  test(
    `chaos soak for ${SECONDS} s (${adapter} relay): every call ends with a value or a typed error in time, and the relay returns to baseline`,
    async () => {
      console.log(
        `SOAK ${adapter}: seconds=${SECONDS} seed=${SEED} (replay the call mix with SOAK_SEED=${SEED})`,
      )
      const cast = new SoakCast({ adapter, callTimeoutMs: CALL_TIMEOUT_MS, seed: SEED })
      const problems: string[] = []
      const killed = new Set<ManagedProcess>()
      const providerDetections: number[] = []
      const freezeDetections: number[] = []
      const relayDetections: number[] = []
      const drainEnds: number[] = []
      const reconnects: number[] = []
      const outages: number[] = []
      const orphanStops: number[] = []
      const actionsDone: string[] = []

      await cast.startRelay()
      const baseline = await relayTables(cast.port)
      expect(baseline).toEqual(ZERO)
      await Promise.all(PROVIDERS.map((id) => cast.startProvider(id)))
      await Promise.all(CALLERS.map((id) => cast.startCaller(id)))

      const provider = (id: string) => cast.current(cast.providers, id)
      const caller = (id: string) => cast.current(cast.callers, id)
      const liveCallers = () => CALLERS.map(caller)
      const callerByPid = (pid: number) => cast.all().find((p) => p.pid === pid)

      /** Waits until the callers have completed `count` more calls successfully. */
      const recovered = async (what: string) => {
        const marks = liveCallers().map((c) => [c, c.mark()] as const)
        const ok = () => marks.reduce((n, [c, from]) => n + c.matching(/^END \d+ \S+ ok /, from).length, 0)
        await until(`${RECOVERY_CALLS} successful calls after ${what}`, () => ok() >= RECOVERY_CALLS, 15_000)
      }

      /** Resolves with the END of the stream `tag` (`<callerPid>:<id>`) once its caller printed it. */
      const endOfStream = (tag: string): CallRecord | undefined => {
        const [pid, id] = tag.split(':').map(Number)
        const proc = callerByPid(pid!)
        return proc ? callsOf(proc).get(id!) : undefined
      }

      let providerRound = 0
      /**
       * Kills a provider while it serves streams, so the time to detect the loss is measured: with
       * SIGKILL the socket closes and the relay notices at once; with SIGSTOP (a frozen process whose
       * socket stays open) only the relay's heartbeat can notice, then the frozen one is killed.
       */
      const killProvider = async (signal: 'SIGKILL' | 'SIGSTOP') => {
        let victimId = ''
        await until(
          'a provider serving a stream',
          () => {
            const order = PROVIDERS.map((_, i) => PROVIDERS[(providerRound + i) % PROVIDERS.length]!)
            victimId = order.find((id) => openStreams(provider(id)).size > 0) ?? ''
            return victimId !== ''
          },
          5000,
        )
        providerRound++
        const victim = provider(victimId)
        const killedAt = Date.now()
        victim.kill(signal)
        killed.add(victim)
        const orphans = () => [...openStreams(victim)]
        if (signal === 'SIGKILL') await victim.exited
        const limit = signal === 'SIGKILL' ? DETECTION_LIMIT_MS : FREEZE_DETECTION_LIMIT_MS
        const tags = orphans()
        try {
          await until(
            `the ${tags.length} streams of the ${signal === 'SIGKILL' ? 'killed' : 'frozen'} provider to fail`,
            () => tags.every((tag) => endOfStream(tag)?.end !== undefined),
            limit + 3000,
          )
        } catch (err) {
          problems.push(`${(err as Error).message}: ${tags.filter((t) => !endOfStream(t)?.end).join(', ')}`)
        }
        for (const tag of tags) {
          const end = endOfStream(tag)?.end
          // A stream may have completed just as the provider died; only failures are detections.
          if (end?.outcome !== 'error') continue
          ;(signal === 'SIGKILL' ? providerDetections : freezeDetections).push(end.at - killedAt)
        }
        if (signal === 'SIGSTOP') {
          victim.kill('SIGKILL')
          await victim.exited
        }
        await cast.startProvider(victimId)
        actionsDone.push(`${signal} ${victim.name} (${tags.length} streams in flight)`)
      }

      const restartRelay = async (signal: 'SIGKILL' | 'SIGTERM') => {
        const old = cast.relay
        const marks = liveCallers().map((c) => [c, c.mark()] as const)
        const killedAt = Date.now()
        old.kill(signal)
        killed.add(old)
        await old.exited
        const inFlight = liveCallers().flatMap((c) => runningAt(callsOf(c).values(), killedAt))
        await until(
          `the ${inFlight.length} calls in flight at the relay loss to end`,
          () =>
            liveCallers().every((c) => runningAt(callsOf(c).values(), killedAt).every((call) => call.end)),
          DETECTION_LIMIT_MS + 3000,
        ).catch((err) => problems.push((err as Error).message))
        // SIGKILL: the sockets close, calls must fail at once. SIGTERM: the relay drains (Goodbye, then
        // the calls in flight may finish for up to its drain timeout), so calls end by then.
        const limit = signal === 'SIGKILL' ? DETECTION_LIMIT_MS : RELAY_DRAIN_MS + LATE_MARGIN_MS
        for (const c of liveCallers()) {
          for (const call of runningAt(callsOf(c).values(), killedAt)) {
            if (!call.end) continue
            const ms = call.end.at - killedAt
            if (call.end.outcome === 'error') (signal === 'SIGKILL' ? relayDetections : drainEnds).push(ms)
            if (ms > limit) {
              problems.push(
                `${c.name} call ${call.id} (${call.kind}) ended ${ms} ms after the relay got ${signal} (${call.end.outcome} ${call.end.code}; limit ${limit} ms)`,
              )
            }
          }
        }
        const { readyAt } = await cast.startRelay()
        for (const [c, from] of marks) {
          const line = await c.waitForLine(/^STATUS connected (\d+)$/, { from, timeoutMs: 15_000 })
          const at = Number(line[1])
          reconnects.push(Math.max(0, at - readyAt))
          outages.push(at - killedAt)
        }
        await until(
          'every provider and caller to be back on the relay',
          async () => (await relayTables(cast.port)).nodes === PROVIDERS.length + CALLERS.length,
          15_000,
        )
        actionsDone.push(`${signal} ${old.name} (${inFlight.length} calls in flight)`)
      }

      const killCaller = async (round: number) => {
        const victimId = CALLERS[round % CALLERS.length]!
        const victim = caller(victimId)
        const mine = (tag: string) => tag.startsWith(`${victim.pid}:`)
        await until(
          `${victim.name} to have a stream running`,
          () => PROVIDERS.some((id) => [...openStreams(provider(id))].some(mine)),
          5000,
        )
        const killedAt = Date.now()
        victim.kill('SIGKILL')
        killed.add(victim)
        await victim.exited
        // The providers must stop what they were streaming to the dead caller (cancel through the relay).
        try {
          await until(
            `providers to stop the streams of ${victim.name}`,
            () => PROVIDERS.every((id) => ![...openStreams(provider(id))].some(mine)),
            3000,
          )
          orphanStops.push(Date.now() - killedAt)
        } catch (err) {
          problems.push((err as Error).message)
        }
        await cast.startCaller(victimId)
        actionsDone.push(`SIGKILL ${victim.name}`)
      }

      const started = Date.now()
      const deadline = started + SECONDS * 1000
      const plan = ['provider', 'relay-kill', 'caller', 'provider-freeze', 'provider', 'relay-term'] as const
      for (let round = 0; round < 200 && (round < plan.length || Date.now() < deadline); round++) {
        if (round >= 3 && Date.now() >= deadline) break
        const action = plan[round % plan.length]!
        if (action === 'provider') await killProvider('SIGKILL')
        else if (action === 'provider-freeze') await killProvider('SIGSTOP')
        else if (action === 'relay-kill') await restartRelay('SIGKILL')
        else if (action === 'relay-term') await restartRelay('SIGTERM')
        else await killCaller(round)
        for (const proc of [...PROVIDERS.map(provider), ...liveCallers(), cast.relay]) {
          if (!proc.alive) problems.push(`${proc.name} died on its own (exit ${proc.exitCode})`)
        }
        await recovered(action)
      }
      const chaosSeconds = (Date.now() - started) / 1000

      // Wind down: callers finish what is in flight, then the relay must hold nothing for them.
      const drains = await Promise.all(liveCallers().map((c) => cast.drainCaller(c)))
      drains.forEach((drain, i) => {
        if (drain.unfinished) problems.push(`${CALLERS[i]} never ended calls ${drain.unfinished}`)
        else if (drain.started !== drain.finished) {
          problems.push(`${CALLERS[i]} started ${drain.started} calls but finished ${drain.finished}`)
        }
      })
      let tables = await relayTables(cast.port)
      await until('the relay to hold only the providers', async () => {
        tables = await relayTables(cast.port)
        return (
          tables.pending === 0 && tables.nodes === PROVIDERS.length && tables.connections === PROVIDERS.length
        )
      }).catch(() => problems.push(`with the callers gone the relay still holds ${JSON.stringify(tables)}`))
      await until('the providers to stop every stream', () =>
        PROVIDERS.every((id) => openStreams(provider(id)).size === 0),
      ).catch(() =>
        problems.push(
          `providers still stream to nobody: ${PROVIDERS.flatMap((id) => [...openStreams(provider(id))]).join(', ')}`,
        ),
      )
      await Promise.all(PROVIDERS.map((id) => provider(id).stop()))
      await until('the relay tables to return to baseline', async () => {
        tables = await relayTables(cast.port)
        return same(tables, baseline)
      }).catch(() =>
        problems.push(
          `after everyone left the relay holds ${JSON.stringify(tables)}, baseline ${JSON.stringify(baseline)}`,
        ),
      )
      await cast.relay.stop()

      // The ledger: every call of every caller incarnation.
      const all: CallRecord[] = []
      let abandoned = 0
      for (const proc of [...cast.callers.values()].flat()) {
        const calls = [...callsOf(proc).values()]
        all.push(...calls)
        const open = calls.filter((call) => !call.end)
        if (killed.has(proc)) abandoned += open.length
        else if (open.length > 0)
          problems.push(`${proc.name}: calls ${open.map((c) => c.id).join(',')} never ended`)
      }
      for (const call of all) {
        const end = call.end
        if (!end) continue
        const name = `${call.caller} call ${call.id} (${call.kind})`
        if (end.outcome === 'bad') problems.push(`${name} completed with wrong values (${end.values} values)`)
        if (end.outcome === 'error' && !TYPED_CODES.has(end.code))
          problems.push(`${name} failed with untyped or unexpected code ${end.code}`)
        if (end.idleMs > CALL_TIMEOUT_MS + LATE_MARGIN_MS) {
          problems.push(
            `${name} ended ${end.idleMs} ms after its last sign of life (timeout ${CALL_TIMEOUT_MS} ms)`,
          )
        }
      }
      for (const ms of providerDetections) {
        if (ms > DETECTION_LIMIT_MS)
          problems.push(`a stream took ${ms} ms to fail after its provider was killed`)
      }
      for (const ms of freezeDetections) {
        if (ms > FREEZE_DETECTION_LIMIT_MS)
          problems.push(`a stream took ${ms} ms to fail after its provider froze`)
      }
      for (const proc of cast.all()) {
        problems.push(...troubleIn(proc))
        if (!killed.has(proc) && proc.exitCode !== 0)
          problems.push(`${proc.name} exited with ${proc.exitCode}`)
      }

      const ended = all.filter((call) => call.end)
      const byOutcome = [...outcomes(all)].map(([k, n]) => `${k}=${n}`).join(' ')
      console.log(
        [
          `SOAK ${adapter}: ${chaosSeconds.toFixed(1)} s of chaos, ${actionsDone.length} actions`,
          `  calls made ${all.length}, ended ${ended.length}, abandoned by killed callers ${abandoned}`,
          `  outcomes: ${byOutcome}`,
          `  max unary duration ${max(ended.filter((c) => c.kind === 'whoami' || c.kind === 'slow').map((c) => c.end!.durationMs))} ms, max idle before end ${max(ended.map((c) => c.end!.idleMs))} ms (timeout ${CALL_TIMEOUT_MS} ms)`,
          `  provider SIGKILL → in-flight stream fails: max ${max(providerDetections)} ms over ${providerDetections.length} streams`,
          `  provider SIGSTOP → in-flight stream fails (heartbeat): max ${max(freezeDetections)} ms over ${freezeDetections.length} streams`,
          `  relay SIGKILL → in-flight call fails: max ${max(relayDetections)} ms over ${relayDetections.length} calls`,
          `  relay SIGTERM (drain) → in-flight call fails: max ${max(drainEnds)} ms over ${drainEnds.length} calls`,
          `  relay restart → caller reconnected: max ${max(reconnects)} ms after the new relay listened (outage max ${max(outages)} ms from the kill)`,
          `  caller SIGKILL → providers stopped its streams: max ${max(orphanStops)} ms`,
          `  actions: ${actionsDone.join('; ')}`,
        ].join('\n'),
      )
      if (problems.length > 0)
        throw new Error(`Soak found problems (seed ${SEED}):\n  ${problems.slice(0, 40).join('\n  ')}`)
    },
    SECONDS * 1000 + 120_000,
  )
}
