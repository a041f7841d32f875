import { type ParseArgsConfig, parseArgs as utilParseArgs } from 'node:util'
import { usageError } from './cli-error.js'

/** One flag a command accepts. */
export interface FlagSpec {
  /** Long name without dashes, kebab-case (`heartbeat-ms`). */
  name: string
  /** `list`: a string flag that may be repeated, each value possibly comma-separated (`a,b`). */
  type: 'string' | 'number' | 'boolean' | 'list'
  description: string
  /** Environment variable read when the flag is absent (flags win over the environment); comma-separated for a list. */
  env?: string
  /** Checks one string or list value: returns what was expected (`a nats:// URL`) when it is wrong. */
  check?: (value: string) => string | undefined
  /** Shown in help; applied by the command, not by the parser. */
  default?: string
  /** Value placeholder in help (`ms`, `url`). */
  placeholder?: string
  /** Single-letter alias (`-n`). */
  short?: string
}

type Value = string | number | boolean | string[]

/** A parsed command line: flag values (from argv or the environment) and positional arguments. */
export class ParsedArgs {
  readonly positionals: string[]
  readonly #values: Map<string, Value>
  readonly #fromEnv: ReadonlyMap<string, string>

  constructor(
    values: Map<string, Value>,
    positionals: string[],
    fromEnv: ReadonlyMap<string, string> = new Map(),
  ) {
    this.#values = values
    this.positionals = positionals
    this.#fromEnv = fromEnv
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

  /** The values of a `list` flag, in order; undefined when it was given neither as flag nor in the environment. */
  list(name: string): string[] | undefined {
    const value = this.#values.get(name)
    return Array.isArray(value) ? [...value] : undefined
  }

  has(name: string): boolean {
    return this.#values.has(name)
  }

  /** Where a flag's value came from, for messages: `--name`, the environment variable's name, or undefined. */
  source(name: string): string | undefined {
    if (!this.#values.has(name)) return undefined
    return this.#fromEnv.get(name) ?? `--${name}`
  }
}

// `-1` and `-.5` are values (JSON numbers), not flags: `call Calc.add -1 2` must work.
const NEGATIVE_NUMBER = /^-\.?\d/

function checked(spec: FlagSpec, value: string, source: string, command: string): string {
  const expected = spec.check?.(value)
  if (expected !== undefined)
    throw usageError(`${source} expects ${expected}, got ${JSON.stringify(value)}.`, command)
  return value
}

function convert(spec: FlagSpec, raw: string, source: string, command: string): Value {
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
  if (spec.type === 'list') {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
    if (items.length === 0) throw usageError(`${source} needs a value.`, command)
    return items.map((item) => checked(spec, item, source, command))
  }
  return checked(spec, raw, source, command)
}

/** The `node:util` option table of `flags`: it decides which flags take a value. */
function utilOptions(flags: readonly FlagSpec[]): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const f of flags) {
    options[f.name] = {
      type: f.type === 'boolean' ? 'boolean' : 'string',
      ...(f.short ? { short: f.short } : {}),
    }
  }
  return options
}

/**
 * Parses `argv` against `flags`: `--name value`, `--name=value`, `--flag`, `-x value`, `-xvalue`,
 * and `--` to end the flags; a `list` flag may be repeated (its values add up). Flags that are
 * absent are read from their `env` variable (a list's is comma-separated). Throws a usage error
 * (exit code 2) naming the bad token.
 *
 * The tokenizer is `node:util`'s `parseArgs` (Node ≥ 18 and Bun, no dependency to ship to every
 * runtime). It runs non-strict and we check its tokens ourselves, because its strict errors are
 * TypeErrors worded for programmers, and because a negative number must be a value: Node reads
 * `-1` as the short option `1`, so such arguments are masked before tokenizing and read back from
 * `argv` by index (`call Calc.add -1 2`, `--timeout -1`).
 */
export function parseArgs(
  argv: readonly string[],
  flags: readonly FlagSpec[],
  command: string,
  env: Record<string, string | undefined> = {},
): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]))
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]))
  const values = new Map<string, Value>()
  const fromEnv = new Map<string, string>()
  const positionals: string[] = []
  const { tokens } = utilParseArgs({
    args: argv.map((arg) => (NEGATIVE_NUMBER.test(arg) ? '0' : arg)),
    options: utilOptions(flags),
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(argv[token.index]!)
      continue
    }
    if (token.kind === 'option-terminator') continue
    const spec = token.rawName.startsWith('--') ? byName.get(token.name) : byShort.get(token.rawName.slice(1))
    if (!spec) {
      const known = flags.map((f) => `--${f.name}`).join(', ') || 'none'
      throw usageError(`Unknown flag ${token.rawName} (flags of this command: ${known}).`, command)
    }
    // A value in the next argument is read from argv: it may be a masked negative number.
    const raw = token.value === undefined || token.inlineValue ? token.value : argv[token.index + 1]
    if (spec.type === 'boolean') {
      values.set(spec.name, raw === undefined ? true : convert(spec, raw, `--${spec.name}`, command))
      continue
    }
    if (raw === undefined) throw usageError(`--${spec.name} needs a value.`, command)
    const value = convert(spec, raw, `--${spec.name}`, command)
    const earlier = values.get(spec.name)
    values.set(spec.name, Array.isArray(earlier) && Array.isArray(value) ? [...earlier, ...value] : value)
  }
  for (const spec of flags) {
    if (values.has(spec.name) || !spec.env) continue
    const raw = env[spec.env]
    if (raw === undefined || raw === '') continue
    values.set(spec.name, convert(spec, raw, `${spec.env}=${JSON.stringify(raw)}`, command))
    fromEnv.set(spec.name, spec.env)
  }
  return new ParsedArgs(values, positionals, fromEnv)
}
