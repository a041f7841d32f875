import { describe, expect, test } from 'bun:test'
import { CliError } from './cli-error.js'
import { commandHelp } from './command.js'
import { type FlagSpec, parseArgs } from './parse-args.js'

const FLAGS: FlagSpec[] = [
  { name: 'port', short: 'p', type: 'number', env: 'PORT', description: 'port' },
  { name: 'on', type: 'boolean', env: 'ON', description: 'on' },
  {
    name: 'url',
    type: 'list',
    env: 'URLS',
    placeholder: 'url',
    check: (v) => (v.startsWith('x://') ? undefined : 'an x:// URL'),
    description: 'urls',
  },
]

/** The usage error `fn` throws (exit code 2). */
function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(2)
    return (err as Error).message
  }
  throw new Error('expected a usage error')
}

describe('parseArgs', () => {
  test('a list flag collects repeated and comma-separated values in order', () => {
    const args = parseArgs(['--url', 'x://a', '--url=x://b, x://c', '--port', '1'], FLAGS, 'test')
    expect(args.list('url')).toEqual(['x://a', 'x://b', 'x://c'])
    expect(args.string('url')).toBeUndefined()
    expect(args.list('port')).toBeUndefined()
    expect(args.source('url')).toBe('--url')
  })

  test('a list falls back to its comma-separated environment variable only without the flag', () => {
    const env = { URLS: 'x://e1,x://e2', PORT: '7' }
    expect(parseArgs([], FLAGS, 'test', env).list('url')).toEqual(['x://e1', 'x://e2'])
    expect(parseArgs(['--url', 'x://f'], FLAGS, 'test', env).list('url')).toEqual(['x://f'])
    const args = parseArgs([], FLAGS, 'test', env)
    expect(args.source('url')).toBe('URLS')
    expect(args.source('port')).toBe('PORT')
    expect(args.source('on')).toBeUndefined()
  })

  test('check names the flag or variable, what it expects and what it got', () => {
    expect(usage(() => parseArgs(['--url', 'x://a,nope'], FLAGS, 'test'))).toBe(
      '--url expects an x:// URL, got "nope".',
    )
    expect(usage(() => parseArgs([], FLAGS, 'test', { URLS: 'bad' }))).toContain(
      'URLS="bad" expects an x:// URL',
    )
    expect(usage(() => parseArgs(['--url', ' , '], FLAGS, 'test'))).toBe('--url needs a value.')
    expect(usage(() => parseArgs(['--url'], FLAGS, 'test'))).toBe('--url needs a value.')
  })

  test('booleans and numbers parse as before', () => {
    const args = parseArgs(['--on', '-1'], FLAGS, 'test', { PORT: '0' })
    expect(args.flag('on')).toBe(true)
    expect(args.number('port')).toBe(0)
    expect(args.positionals).toEqual(['-1'])
    expect(parseArgs([], FLAGS, 'test', { ON: '0' }).flag('on')).toBe(false)
  })

  test('a negative number is the value after a flag, and a positional anywhere else', () => {
    const args = parseArgs(['Calc.add', '-1', '-.5', '--port', '-3', '-1.5e2'], FLAGS, 'test')
    expect(args.positionals).toEqual(['Calc.add', '-1', '-.5', '-1.5e2'])
    expect(args.number('port')).toBe(-3)
    expect(parseArgs(['-p', '-7'], FLAGS, 'test').number('port')).toBe(-7)
  })

  test('short flags take the value attached or next; -- ends the flags; - is a positional', () => {
    expect(parseArgs(['-p9000'], FLAGS, 'test').number('port')).toBe(9000)
    expect(parseArgs(['-p', '9001', '--on=false'], FLAGS, 'test').flag('on')).toBe(false)
    const args = parseArgs(['-', '--', '--port', '1', '-x'], FLAGS, 'test')
    expect(args.positionals).toEqual(['-', '--port', '1', '-x'])
    expect(args.has('port')).toBe(false)
  })

  test('unknown flags and bad values are usage errors naming the flag', () => {
    expect(usage(() => parseArgs(['--nope=1'], FLAGS, 'test'))).toBe(
      'Unknown flag --nope (flags of this command: --port, --on, --url).',
    )
    expect(usage(() => parseArgs(['-z'], FLAGS, 'test'))).toStartWith('Unknown flag -z ')
    expect(usage(() => parseArgs(['--port', 'abc'], FLAGS, 'test'))).toBe(
      '--port expects a number, got "abc".',
    )
    expect(usage(() => parseArgs(['--on=maybe'], FLAGS, 'test'))).toBe(
      '--on expects 1/true or 0/false, got "maybe".',
    )
    expect(usage(() => parseArgs(['--port'], FLAGS, 'test'))).toBe('--port needs a value.')
    expect(usage(() => parseArgs([], FLAGS, 'test', { PORT: 'x' }))).toBe(
      'PORT="x" expects a number, got "x".',
    )
  })

  test('help marks a list flag repeatable and its variable comma-separated', () => {
    const help = commandHelp({
      name: 'test',
      summary: 's',
      usage: 'test',
      details: '',
      flags: FLAGS,
      examples: [],
      run: async () => 0,
    })
    expect(help).toMatch(/--url <url> +urls\n +\(repeatable; env URLS, comma-separated\)/)
  })
})
