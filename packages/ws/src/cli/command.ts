import type { FlagSpec, ParsedArgs } from './parse-args.js'

/** Every command accepts `-h` / `--help`; the dispatcher handles it before parsing. */
export const HELP_FLAG: FlagSpec = {
  name: 'help',
  short: 'h',
  type: 'boolean',
  description: 'Show this help.',
}

/** One `spider-mesh` subcommand. */
export interface Command {
  name: string
  /** One line for the tool's command list. */
  summary: string
  /** The synopsis after `spider-mesh` (`call <Service.method> [json-args...]`). */
  usage: string
  /** Paragraphs shown in the command's `--help` after the synopsis. */
  details: string
  flags: FlagSpec[]
  /** Examples shown in `--help`. */
  examples: string[]
  /** Runs the command; resolves with the process exit code. Throws a `CliError` on failure. */
  run(args: ParsedArgs): Promise<number>
}

/** The `--help` text of one command. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: spider-mesh ${command.usage}`, '', command.summary, '']
  if (command.details) lines.push(command.details, '')
  const flags = [...command.flags, HELP_FLAG]
  const labels = flags.map((f) => {
    const short = f.short ? `-${f.short}, ` : '    '
    const value = f.type === 'boolean' ? '' : ` <${f.placeholder ?? f.type}>`
    return `  ${short}--${f.name}${value}`
  })
  const width = Math.max(...labels.map((l) => l.length)) + 2
  lines.push('Flags:')
  flags.forEach((f, i) => {
    lines.push(`${labels[i]!.padEnd(width)}${f.description}`)
    // Defaults and variables on their own line keep each line short enough for a terminal.
    const notes = [
      f.type === 'list' ? 'repeatable' : '',
      f.default === undefined ? '' : `default ${f.default}`,
      f.env ? `env ${f.env}${f.type === 'list' ? ', comma-separated' : ''}` : '',
    ]
    if (notes.some(Boolean)) lines.push(`${' '.repeat(width)}(${notes.filter(Boolean).join('; ')})`)
  })
  if (command.examples.length > 0) {
    lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`))
  }
  return lines.join('\n')
}

/** The tool's `--help` text: the commands and where to read more. */
export function toolHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4
  return [
    'Usage: spider-mesh <command> [flags]',
    '',
    'Operate a Spider Mesh: run a relay, list what is connected, call services, tail topics.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `spider-mesh <command> --help` for the flags of a command.',
    'Commands that talk to a relay take --relay <url> (env SPIDER_MESH_RELAY, default ws://127.0.0.1:8787).',
    '',
    'Exit codes: 0 success, 1 the operation failed, 2 bad command line, 130 interrupted (Ctrl-C).',
  ].join('\n')
}

/** What a usage error prints after its message: the synopsis and where the full help is. */
export function shortUsage(command: Command): string {
  return `Usage: spider-mesh ${command.usage}\nRun \`spider-mesh ${command.name} --help\` for every flag.`
}
