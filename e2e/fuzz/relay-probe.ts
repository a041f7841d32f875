import { existsSync, readFileSync } from 'node:fs'
import type { ManagedProcess } from '../harness/index.js'

/** Whether resident-set figures can be read here (Linux /proc). */
export const canReadRss = existsSync('/proc/self/status')

/** A process's resident set size in MiB (VmRSS in /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1])
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return kb / 1024
}

/**
 * Runs a full collection in a relay started from `fixtures/relay.ts`, then reads its RSS: the
 * memory the relay retains, rather than garbage the collector has not got round to.
 */
export async function settledRssMiB(relay: ManagedProcess): Promise<number> {
  const from = relay.mark()
  relay.write('GC')
  await relay.waitForLine(/^GC_DONE$/, { from, timeoutMs: 10_000 })
  return rssMiB(relay.pid)
}

/** Samples a process's RSS every few ms until stopped, keeping the peak. */
export function rssSampler(pid: number, everyMs = 25) {
  let peak = 0
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid))
    } catch {
      // The process is gone; the caller sees that elsewhere.
    }
  }, everyMs)
  return {
    get peak() {
      return peak
    },
    stop: () => clearInterval(timer),
  }
}
