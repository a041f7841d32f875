import satisfies from 'semver/functions/satisfies.js'
import valid from 'semver/functions/valid.js'
import validRange from 'semver/ranges/valid.js'

/**
 * Service versions and the ranges callers ask for, in npm's semver grammar (`^2`, `>=1.4 <3`,
 * `2.x`), decided by the `semver` package — the grammar users already know from package.json.
 */

/** Whether `version` is a valid semver version (`2.1.0`, `3.0.0-beta.1`). */
export function isVersion(version: unknown): version is string {
  return typeof version === 'string' && valid(version) !== null
}

/** Whether `range` is a valid semver range. */
export function isVersionRange(range: unknown): range is string {
  return typeof range === 'string' && range.trim() !== '' && validRange(range) !== null
}

// Routing asks the same few (range, version) pairs over and over: remember the answers, within
// a bound so hostile callers sending random ranges cannot grow it.
const MAX_REMEMBERED = 4096
const remembered = new Map<string, boolean>()

/**
 * Whether a provider's `version` satisfies `range`. A provider that announced no version never
 * does: asking for a version means the caller cannot use an unversioned provider.
 */
export function satisfiesRange(version: string | undefined, range: string): boolean {
  if (version === undefined) return false
  const key = `${range}\u0000${version}`
  let answer = remembered.get(key)
  if (answer === undefined) {
    answer = safeSatisfies(version, range)
    if (remembered.size >= MAX_REMEMBERED) remembered.clear()
    remembered.set(key, answer)
  }
  return answer
}

function safeSatisfies(version: string, range: string): boolean {
  try {
    return satisfies(version, range)
  } catch {
    return false
  }
}
