/** Where the relay reports what happened. `console` fits; so do most structured loggers. */
export interface RelayLogger {
  debug(message: string, ...details: unknown[]): void
  info(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

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
