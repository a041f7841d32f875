import { accessSync, constants } from 'node:fs'

/** Debian installs servers in /usr/sbin or /usr/bin, and a non-root PATH often lacks the sbin ones. */
export const SEARCH_PATH = [process.env.PATH, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']
  .filter(Boolean)
  .join(':')

/**
 * A server binary the bench starts (nats-server, redis-server): the one `envVar` names, else the
 * first `name` on PATH and the sbin folders. Throws `missing` (what to install) when there is none.
 */
export function findServerBinary(name: string, envVar: string, missing: string): string {
  const explicit = process.env[envVar]
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK)
      return explicit
    } catch {
      throw new Error(`${envVar}=${explicit} is not an executable file. ${missing}`)
    }
  }
  const found = Bun.which(name, { PATH: SEARCH_PATH })
  if (!found) throw new Error(missing)
  return found
}
