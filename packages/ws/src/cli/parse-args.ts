import { usageError } from './cli-error.js'

/** One flag a command accepts. */
export interface FlagSpec {
  /** Long name without dashes, kebab-case (`heartbeat-ms`). */
  name: string
  type: 'string' | 'number' | 'boolean'
  description: string
  /** Environment variable read when the flag is absent (flags win over the environment). */
  env?: string
  /** Shown in help; applied by the command, not by the parser. */
  default?: string
  /** Value placeholder in help (`ms`, `url`). */
  placeholder?: string
  /** Single-letter alias (`-n`). */
  short?: string
}

/** A parsed command line: flag values (from argv or the environment) and positional arguments. */
export class ParsedArgs {
  readonly positionals: string[]
  readonly #values: Map<string, string | number | boolean>

  constructor(values: Map<string, string | number | boolean>, positionals: string[]) {
    this.#values = values
    this.positionals = positionals
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name)
    return typeof value === 'string' ? value : undefined
  }

  number(name: string): number | undefined {
    const value = this.#values.get(name)
    return typeof value === 'number' ? value : undefined
  }

  flag(name: string): boolean {
    return this.#values.get(name) === true
  }

  has(name: string): boolean {
    return this.#values.has(name)
  }
}

// `-1` and `-.5` are values (JSON numbers), not flags: `call Calc.add -1 2` must work.
const NEGATIVE_NUMBER = /^-\.?\d/

function convert(spec: FlagSpec, raw: string, source: string, command: string): string | number | boolean {
  if (spec.type === 'number') {
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(value)) {
      throw usageError(`${source} expects a number, got ${JSON.stringify(raw)}.`, command)
    }
    return value
  }
  if (spec.type === 'boolean') {
    if (raw === '1' || raw === 'true') return true
    if (raw === '0' || raw === 'false' || raw === '') return false
    throw usageError(`${source} expects 1/true or 0/false, got ${JSON.stringify(raw)}.`, command)
  }
  return raw
}

/**
 * Parses `argv` against `flags`: `--name value`, `--name=value`, `--flag`, `-x value`, and `--`
 * to end the flags. Flags that are absent are read from their `env` variable. Throws a usage
 * error (exit code 2) naming the bad token. Deliberately tiny: a framework would add a
 * dependency to every runtime the package supports for five commands' worth of flags.
 */
export function parseArgs(
  argv: readonly string[],
  flags: readonly FlagSpec[],
  command: string,
  env: Record<string, string | undefined> = {},
): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]))
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]))
  const values = new Map<string, string | number | boolean>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!token.startsWith('-') || token === '-' || NEGATIVE_NUMBER.test(token)) {
      positionals.push(token)
      continue
    }
    const long = token.startsWith('--')
    const eq = token.indexOf('=')
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1, 2)
    const spec = long ? byName.get(name) : byShort.get(name)
    if (!spec) {
      const known = flags.map((f) => `--${f.name}`).join(', ') || 'none'
      throw usageError(`Unknown flag ${token.split('=')[0]} (flags of this command: ${known}).`, command)
    }
    const inline = eq === -1 ? (!long && token.length > 2 ? token.slice(2) : undefined) : token.slice(eq + 1)
    if (spec.type === 'boolean') {
      values.set(spec.name, inline === undefined ? true : convert(spec, inline, `--${spec.name}`, command))
      continue
    }
    const raw = inline ?? argv[++i]
    if (raw === undefined) throw usageError(`--${spec.name} needs a value.`, command)
    values.set(spec.name, convert(spec, raw, `--${spec.name}`, command))
  }
  for (const spec of flags) {
    if (values.has(spec.name) || !spec.env) continue
    const raw = env[spec.env]
    if (raw === undefined || raw === '') continue
    values.set(spec.name, convert(spec, raw, `${spec.env}=${JSON.stringify(raw)}`, command))
  }
  return new ParsedArgs(values, positionals)
}
