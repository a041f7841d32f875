import { describe, expect, test } from 'bun:test'
import { jsonRelayLogger } from './json-relay-logger.js'
import { LogEvent, logEvent, textRelayLogger } from './relay-logger.js'
import { resolveRelayOptions } from './relay-options.js'

/** A pino destination that keeps every line written to it. */
function memory(): { write(line: string): void; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  return {
    lines,
    write(line: string) {
      // One object per line: each write is exactly one line, ending with a newline.
      expect(line.endsWith('\n')).toBe(true)
      expect(line.slice(0, -1)).not.toContain('\n')
      lines.push(JSON.parse(line))
    },
  }
}

describe('jsonRelayLogger', () => {
  test('one JSON object per event: time, level, relay, event, node_id and fields, msg', () => {
    const out = memory()
    const err = memory()
    let relay = 'host:0'
    const logger = jsonRelayLogger({ relay: () => relay, streams: { out, err } })
    relay = 'host:8787' // read per line: known only once listening
    logger.info(
      '[relay] cluster: connected to NATS at n:4222',
      logEvent('nats_connected', { server: 'n:4222' }),
    )
    logger.warn('[relay] node "a" flooded the relay', new LogEvent('flood', { node_id: 'a', limit: 10 }))
    expect(out.lines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        relay: 'host:8787',
        event: 'nats_connected',
        server: 'n:4222',
        msg: 'cluster: connected to NATS at n:4222',
      },
    ])
    expect(err.lines).toEqual([
      expect.objectContaining({ level: 'warn', event: 'flood', node_id: 'a', limit: 10, relay: 'host:8787' }),
    ])
  })

  test('warnings and errors go to stderr only, info to stdout only, debug nowhere', () => {
    const out = memory()
    const err = memory()
    const logger = jsonRelayLogger({ relay: () => 'r', streams: { out, err } })
    logger.debug('[relay] node "x" joined', logEvent('node_joined', { node_id: 'x' }))
    logger.info('i')
    logger.warn('w')
    logger.error('e')
    expect(out.lines.map((l) => l.level)).toEqual(['info'])
    expect(err.lines.map((l) => l.level)).toEqual(['warn', 'error'])
    expect(out.lines[0]!.event).toBe('log')
  })

  test('an Error detail becomes err with its type, message and stack; other details are kept', () => {
    const out = memory()
    const err = memory()
    const logger = jsonRelayLogger({ relay: () => 'r', streams: { out, err } })
    logger.error(
      '[relay] failed to handle a frame',
      new TypeError('boom'),
      { extra: 1 },
      logEvent('frame_failed'),
    )
    const [line] = err.lines
    expect(line).toMatchObject({ event: 'frame_failed', err: { type: 'TypeError', message: 'boom' } })
    expect(String((line!.err as { stack: string }).stack)).toContain('TypeError: boom')
    expect(line!.details).toEqual([{ extra: 1 }])
  })
})

describe('textRelayLogger', () => {
  test('the logger you give sees the same arguments as before: the LogEvent is left out', () => {
    const calls: unknown[][] = []
    const logger = textRelayLogger({
      debug: (...args) => calls.push(['debug', ...args]),
      info: (...args) => calls.push(['info', ...args]),
      warn: (...args) => calls.push(['warn', ...args]),
      error: (...args) => calls.push(['error', ...args]),
    })
    const cause = new Error('x')
    logger.warn('[relay] w', logEvent('flood'))
    logger.error('[relay] e', cause, logEvent('frame_failed'))
    logger.info('[relay] plain')
    expect(calls).toEqual([
      ['warn', '[relay] w'],
      ['error', '[relay] e', cause],
      ['info', '[relay] plain'],
    ])
  })
})

describe('logFormat option', () => {
  test('"text" by default, "json" accepted; anything else and json with a logger are refused', () => {
    expect(resolveRelayOptions({}).logFormat).toBe('text')
    expect(resolveRelayOptions({ logFormat: 'json' }).logFormat).toBe('json')
    expect(() => resolveRelayOptions({ logFormat: 'xml' as 'json' })).toThrow(
      'Invalid WebsocketRelayServer option logFormat: "xml". Expected "text" or "json".',
    )
    expect(() => resolveRelayOptions({ logFormat: 'json', logger: console })).toThrow(
      /option logFormat: "json"/,
    )
  })
})
