import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/**
 * Pinning every bench process to a set of CPUs (`bun run bench --cpus 0`, or `BENCH_CPUS=0` for
 * `ab/interleave.ts`). On this 2-vCPU VM a serial call's processes wake each other across vCPUs
 * about twice per call, and those wake-ups were two thirds of its time: the figures then say more
 * about the hypervisor than about the code. On one CPU the limit's serial p50 fell from ~120 to
 * ~45 µs and the A/A noise of the interleaved A/B from ±2–4% to ±1% (bench/README.md, session 8).
 * A tool for measuring; every system of a run gets the same CPUs, so ratios stay fair.
 */
export const CPUS_ENV = 'BENCH_CPUS'

/**
 * Checks a CPU list in `taskset -c` form (`0`, `0,1`, `0-1`) against this machine and answers
 * it, or throws saying what is wrong.
 */
export function checkCpuList(list: string, cpus = availableParallelism()): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) {
    throw new Error(`--cpus needs a CPU list like 0, 0,1 or 0-1 (taskset -c form), got "${list}"`)
  }
  for (const part of list.split(',')) {
    const [first, last = first] = part.split('-').map(Number) as [number, number?]
    if (last! < first) throw new Error(`--cpus: the range ${part} runs backwards`)
    if (last! >= cpus) {
      throw new Error(`--cpus: CPU ${last} does not exist here (this machine has CPUs 0-${cpus - 1})`)
    }
  }
  return list
}

/** Where taskset is, or an error saying how to get it (Debian: util-linux). */
export function tasksetPath(): string {
  for (const path of ['/usr/bin/taskset', '/bin/taskset']) if (existsSync(path)) return path
  throw new Error('--cpus needs taskset (Debian: apt-get install util-linux)')
}

/**
 * `argv` run on the CPUs of `BENCH_CPUS` when it is set (taskset execs it: the pid stays the
 * process's own, so /proc/<pid> still meters it), else `argv` as it is.
 */
export function pinnedArgv(argv: string[], cpus = process.env[CPUS_ENV]): string[] {
  if (cpus === undefined || cpus === '') return argv
  return [tasksetPath(), '-c', checkCpuList(cpus), ...argv]
}
