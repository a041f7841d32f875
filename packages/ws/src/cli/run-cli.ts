import { VERSION } from '@spider-mesh/core'
import { benchCommand } from './bench-command.js'
import { callCommand } from './call-command.js'
import { CliError, usageError } from './cli-error.js'
import { type Command, commandHelp, shortUsage, toolHelp } from './command.js'
import { lsCommand } from './ls-command.js'
import { parseArgs } from './parse-args.js'
import { relayCommand } from './relay-command.js'
import { tailCommand } from './tail-command.js'

/** The commands in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [relayCommand, lsCommand, callCommand, tailCommand, benchCommand]

/** Whether `-h`/`--help` appears before a `--` (after it, it belongs to the command's arguments). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '-h' || a === '--help')
}

/**
 * Runs `spider-mesh <argv>` and resolves with the exit code: 0 success, 1 failure, 2 bad command
 * line, 130 interrupted. Messages go to stderr, results to stdout.
 */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined
    console.log(topic ? commandHelp(topic) : toolHelp(COMMANDS))
    // Bare `spider-mesh` is a usage mistake for scripts, but a request for help for people.
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-v') {
    console.log(VERSION)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  try {
    if (!command) {
      throw usageError(
        name.startsWith('-')
          ? `Unknown flag ${name}: give a command first.`
          : `Unknown command ${JSON.stringify(name)}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`,
      )
    }
    if (wantsHelp(rest)) {
      console.log(commandHelp(command))
      return 0
    }
    return await command.run(parseArgs(rest, command.flags, command.name, env))
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    console.error(`spider-mesh${command ? ` ${command.name}` : ''}: ${err.message}`)
    if (err.usageOf !== undefined) {
      const usage = COMMANDS.find((c) => c.name === err.usageOf)
      console.error(usage ? shortUsage(usage) : `\n${toolHelp(COMMANDS)}`)
    }
    return err.exitCode
  }
}
