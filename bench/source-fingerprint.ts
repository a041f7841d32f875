import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const packagesDir = new URL('../packages', import.meta.url).pathname

/**
 * The newest modification time among the packages' sources. The bench compares it before and
 * after a run: code edited mid-run means the processes started at different times ran different
 * code, and the figures (or a failure) may not mean what they seem.
 */
export function sourceFingerprint(dir = packagesDir): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, sourceFingerprint(path))
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}
