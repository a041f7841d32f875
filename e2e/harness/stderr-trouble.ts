import type { ManagedProcess } from './managed-process.js'

/**
 * What on a process's stderr means a bug rather than an expected warning: unhandled rejections
 * and uncaught exceptions (as the guarded fixtures and Bun print them), errors the relay logged
 * while handling a frame, and runtime errors.
 */
const TROUBLE =
  /UNHANDLED_REJECTION|UNCAUGHT_EXCEPTION|Unhandled|Uncaught|failed to handle|TypeError|RangeError|ReferenceError|SyntaxError|panic|Segmentation/

/** The stderr lines of `proc` (from line index `from` on) that point at a bug, labelled with its name. */
export function troubleIn(proc: ManagedProcess, from = 0): string[] {
  return proc.lines
    .slice(from)
    .filter((line) => line.stream === 'stderr' && TROUBLE.test(line.text))
    .map((line) => `[${proc.name}] ${line.text}`)
}
