/** Where the mesh writes what it notices. Any console-like object fits. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void
  info(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

const ignore = () => {}

/** Warnings and errors to the console; debug and info dropped. The default logger. */
export const consoleLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, ...details) => console.warn(`[spider-mesh] ${message}`, ...details),
  error: (message, ...details) => console.error(`[spider-mesh] ${message}`, ...details),
}

/** Drops everything. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
