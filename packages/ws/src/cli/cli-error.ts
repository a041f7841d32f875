/**
 * An error the CLI reports as one line on stderr and turns into an exit code: `2` for a usage
 * mistake (the command's usage is printed too), `1` for a failure of the operation itself.
 */
export class CliError extends Error {
  readonly exitCode: number
  /** The command whose usage is shown after the message (usage errors only). */
  readonly usageOf: string | undefined

  constructor(message: string, options: { exitCode?: number; usageOf?: string } = {}) {
    super(message)
    this.name = 'CliError'
    this.exitCode = options.exitCode ?? 1
    this.usageOf = options.usageOf
  }
}

/** A wrong command line: unknown command or flag, missing or malformed value. Exit code 2. */
export function usageError(message: string, command = ''): CliError {
  return new CliError(message, { exitCode: 2, usageOf: command })
}
