/** Where the relay reports what happened. `console` fits; so do most structured loggers. */
export interface RelayLogger {
  debug(message: string, ...details: unknown[]): void
  info(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

/**
 * What a log line is about, for the JSON format: a stable `event` name and fields (`node_id` when
 * the event concerns a node). The relay passes one as the last detail of its log calls; the text
 * format drops it, so a `logger` you give (or the console) sees the same arguments as ever.
 */
export class LogEvent {
  readonly event: string
  readonly fields: Readonly<Record<string, unknown>>

  constructor(event: string, fields: Record<string, unknown> = {}) {
    this.event = event
    this.fields = fields
  }
}

/** A {@link LogEvent}: `logger.warn('[relay] …', logEvent('nats_lost', { server }))`. */
export const logEvent = (event: string, fields?: Record<string, unknown>): LogEvent =>
  new LogEvent(event, fields)

const ignore = (): void => {}

/**
 * The default: warnings and errors to the console. Protocol problems are logged at debug level
 * because a misbehaving client must not be able to flood the relay's log.
 */
export const defaultRelayLogger: RelayLogger = {
  debug: ignore,
  info: ignore,
  warn: (message, ...details) => console.warn(message, ...details),
  error: (message, ...details) => console.error(message, ...details),
}

/** The human format: `logger` as given, with the relay's {@link LogEvent} details left out. */
export function textRelayLogger(logger: RelayLogger): RelayLogger {
  const level =
    (name: keyof RelayLogger) =>
    (message: string, ...details: unknown[]): void => {
      const last = details[details.length - 1]
      if (last instanceof LogEvent) logger[name](message, ...details.slice(0, -1))
      else logger[name](message, ...details)
    }
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') }
}
