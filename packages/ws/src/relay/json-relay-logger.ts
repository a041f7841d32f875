import pino, { type DestinationStream } from 'pino'
import { LogEvent, type RelayLogger } from './relay-logger.js'

/** Options of {@link jsonRelayLogger}. */
export interface JsonRelayLoggerOptions {
  /** The relay's id on every line (its cluster name, or host:port), read per line: it is known once listening. */
  relay: () => string
  /** Where info lines go (default: stdout) and where warnings and errors go (default: stderr). */
  streams?: { out: DestinationStream; err: DestinationStream }
}

/**
 * The JSON format (`logFormat: 'json'`): one object per line per event, `level`, `time` (ISO
 * 8601), `relay`, `event`, `node_id` when the event concerns a node, the event's fields, and the
 * human `msg`; an Error detail becomes `err` (type, message, stack). Info goes to stdout and
 * warnings and errors to stderr — the streams the text format uses (the CLI's console.log and
 * console.warn/error) — written synchronously, so nothing is lost when the process exits and
 * lines stay in order with other output. Debug lines (protocol problems a client can provoke at
 * will) are dropped, as in the text format. Written by pino: fast, and the line format log
 * shippers already parse.
 */
export function jsonRelayLogger(options: JsonRelayLoggerOptions): RelayLogger {
  const streams = options.streams ?? {
    out: pino.destination({ fd: 1, sync: true }),
    err: pino.destination({ fd: 2, sync: true }),
  }
  const log = pino(
    {
      level: 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ relay: options.relay() }),
    },
    // dedupe: a line goes only to the stream of the highest level it reaches (warn: stderr alone).
    pino.multistream(
      [
        { level: 'info', stream: streams.out },
        { level: 'warn', stream: streams.err },
      ],
      { dedupe: true },
    ),
  )
  const level =
    (name: 'info' | 'warn' | 'error') =>
    (message: string, ...details: unknown[]): void => {
      if (!log.isLevelEnabled(name)) return
      let event = 'log'
      const fields: Record<string, unknown> = {}
      const extra: unknown[] = []
      for (const detail of details) {
        if (detail instanceof LogEvent) {
          event = detail.event
          Object.assign(fields, detail.fields)
        } else if (detail instanceof Error && fields.err === undefined) fields.err = detail
        else extra.push(detail)
      }
      if (extra.length > 0) fields.details = extra
      // The `[relay] ` prefix says which component spoke; the `relay` field says it better.
      log[name]({ event, ...fields }, message.replace(/^\[relay\] /, ''))
    }
  return { debug: () => {}, info: level('info'), warn: level('warn'), error: level('error') }
}
