import type { Child, ChildOptions } from '../child.js'
import { CpuMeter } from '../proc-cpu.js'
import type { Spawn } from './relays.js'

/**
 * Runs one measuring child to its RESULT and kills it, so the next figure has the CPUs alone.
 * Meters the CPU of the caller and of `path` (the processes a call crosses) from the caller's
 * MEASURING line to its RESULT: the window its figure covers. `units` reads how many calls or
 * items that was from the result; `cpu` has `cpu_<process>_us` per unit and `cpu_total_us`.
 */
export async function measureMetered<T>(
  spawn: Spawn,
  options: ChildOptions,
  path: Record<string, Child>,
  deadlineMs: number,
  units: (result: T) => number,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const run = await startMetered(spawn, options, path, deadlineMs)
  return run.finish(units)
}

/** A measuring child that printed MEASURING, metered from there (see {@link measureMetered}). */
export interface MeteredRun {
  caller: Child
  /** Waits for its RESULT, reads the meter, kills it. */
  finish<T>(units: (result: T) => number): Promise<{ result: T; cpu: Record<string, number> }>
}

/** The first half of {@link measureMetered}: starts the child and the meter at its MEASURING. */
export async function startMetered(
  spawn: Spawn,
  options: ChildOptions,
  path: Record<string, Child>,
  deadlineMs: number,
): Promise<MeteredRun> {
  const caller = spawn(options)
  const pids: Record<string, number> = { caller: caller.pid }
  for (const [name, child] of Object.entries(path)) pids[name] = child.pid
  const meter = new CpuMeter(pids)
  await caller.waitFor(/^MEASURING/, deadlineMs)
  meter.start()
  return {
    caller,
    async finish<T>(units: (result: T) => number) {
      const result = await caller.result<T>(deadlineMs)
      const perUnit = meter.perUnit(units(result))
      await caller.kill()
      const cpu: Record<string, number> = {}
      let total = 0
      for (const [name, us] of Object.entries(perUnit)) {
        cpu[`cpu_${name}_us`] = us
        total += us
      }
      cpu.cpu_total_us = Math.round(total * 100) / 100
      return { result, cpu }
    },
  }
}
