import { existsSync, statSync } from 'node:fs'
import { Glob } from 'bun'

const root = new URL('../..', import.meta.url).pathname
const built = [
  'packages/core/dist/index.js',
  'packages/ws/dist/node.js',
  'packages/ws/dist/relay-server.js',
  'packages/ws/dist/bin/relay.js',
]

/**
 * Fails with instructions when the built packages are missing or older than their sources: tests
 * that run `dist` (under Node, or packed with npm) would otherwise test yesterday's code.
 */
export function assertBuilt(what: string): void {
  const missing = built.filter((file) => !existsSync(`${root}${file}`))
  if (missing.length > 0) {
    throw new Error(
      `${what} uses the built packages, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing.\n` +
        'Run `npm run build` first (`npm test` builds before testing).',
    )
  }
  for (const pkg of ['core', 'ws']) {
    const builtAt = Math.min(
      ...built.filter((f) => f.startsWith(`packages/${pkg}/`)).map((f) => statSync(`${root}${f}`).mtimeMs),
    )
    for (const file of new Glob(`packages/${pkg}/src/**/*.ts`).scanSync(root)) {
      if (file.endsWith('.test.ts')) continue
      if (statSync(`${root}${file}`).mtimeMs > builtAt) {
        throw new Error(`packages/${pkg}/dist is older than ${file}: run \`npm run build\` to rebuild it.`)
      }
    }
  }
}
