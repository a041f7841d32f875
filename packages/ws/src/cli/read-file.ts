import { readFileSync } from 'node:fs'
import { usageError } from './cli-error.js'

/**
 * Reads a file named on the command line (`source` is the flag or environment variable that
 * named it); an unreadable file is a usage error saying which and why.
 */
export function readFileFor(file: string, source: string, command: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw usageError(
      `${source}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      command,
    )
  }
}
