import { describe, expect, test } from 'bun:test'
import { CliError } from './cli-error.js'
import { parseArgs } from './parse-args.js'
import { relayCommand, relayOptionsFrom } from './relay-command.js'

const relayArgs = (argv: string[], env: Record<string, string> = {}) =>
  relayOptionsFrom(parseArgs(argv, relayCommand.flags, 'relay', env))

/** The message of the usage error (exit code 2) `fn` throws. */
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

describe('spider-mesh relay flags', () => {
  test('numbers, host and port from flags, with the environment as fallback', () => {
    const options = relayArgs(['-p', '0', '--heartbeat-ms=5000'], { HOST: '0.0.0.0', HEARTBEAT_MS: '9' })
    expect(options).toMatchObject({ host: '0.0.0.0', port: 0, heartbeatIntervalMs: 5000 })
  })

  test('--topics (or TOPICS) gives the topic history policies as JSON; anything but an object is refused', () => {
    expect(relayArgs(['--topics', '{"chat.*":{"retain":50}}']).topics).toEqual({ 'chat.*': { retain: 50 } })
    expect(relayArgs([], { TOPICS: '{"a":{"retain":1,"ttlMs":5}}' }).topics).toEqual({
      a: { retain: 1, ttlMs: 5 },
    })
    expect(usage(() => relayArgs(['--topics', '[1]']))).toContain('--topics expects a JSON object')
    expect(usage(() => relayArgs([], { TOPICS: '{oops' }))).toStartWith('TOPICS="{oops" expects')
  })

  test('--adapter accepts bun or node; a bad value names the flag or the variable', () => {
    expect(relayArgs(['--adapter', 'node']).adapter).toBe('node')
    expect(relayArgs([], { RELAY_ADAPTER: 'bun' }).adapter).toBe('bun')
    expect(usage(() => relayArgs(['--adapter', 'deno']))).toBe(
      '--adapter expects "bun" or "node", got "deno".',
    )
    expect(usage(() => relayArgs([], { RELAY_ADAPTER: 'deno' }))).toStartWith('RELAY_ADAPTER="deno" expects')
  })

  test('--log-format json (or LOG_FORMAT=json) asks the relay for JSON lines instead of the console logger', () => {
    const json = relayArgs(['--log-format', 'json'])
    expect(json.logFormat).toBe('json')
    expect('logger' in json).toBe(false)
    expect(relayArgs([], { LOG_FORMAT: 'json' }).logFormat).toBe('json')
    const text = relayArgs(['--log-format=text'], { LOG_FORMAT: 'json' })
    expect(text.logFormat).toBeUndefined()
    expect(typeof text.logger?.info).toBe('function')
    expect(usage(() => relayArgs(['--log-format', 'yaml']))).toBe(
      '--log-format expects "text" or "json", got "yaml".',
    )
    expect(usage(() => relayArgs([], { LOG_FORMAT: 'JSON' }))).toStartWith('LOG_FORMAT="JSON" expects')
  })
})
