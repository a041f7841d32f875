/**
 * The bench's process scripts for real Node.js (the `-nodejs` systems). Node 20 runs no
 * TypeScript, so Bun bundles each script into `bench/results/node/*.mjs` — the bench's own code
 * only: `@spider-mesh/*`, `ws` and every other package stay imports, which Node resolves through
 * node_modules and the `import` export condition to the built `packages/*\/dist`. The same source
 * thus runs under both runtimes, and the Node processes run what npm users get.
 */
import { assertBuilt } from '../e2e/harness/built-packages.js'

const benchDir = new URL('.', import.meta.url).pathname

/** The scripts a Node system starts (relative to bench/). */
export const NODE_SCRIPTS = [
  'processes/mesh-relay.ts',
  'processes/mesh-provider.ts',
  'processes/mesh-caller.ts',
  'processes/limit-relay.ts',
  'processes/limit-provider.ts',
  'processes/limit-caller.ts',
]

/** Where the bundle of a script lives (`processes/x.ts` → `results/node/processes/x.mjs`). */
export function nodeScriptPath(script: string): string {
  return `${benchDir}results/node/${script.replace(/\.ts$/, '.mjs')}`
}

let built = false

/**
 * Checks that `packages/*\/dist` is built and newer than the sources (throws "run `npm run build`"
 * otherwise: Node would run yesterday's code), then bundles the scripts. Once per bench run.
 */
export async function prepareNodeScripts(): Promise<void> {
  if (built) return
  assertBuilt('The bench under Node.js')
  const result = await Bun.build({
    entrypoints: NODE_SCRIPTS.map((script) => `${benchDir}${script}`),
    root: benchDir,
    outdir: `${benchDir}results/node`,
    naming: '[dir]/[name].mjs',
    target: 'node',
    format: 'esm',
    // Packages are never bundled: Node must load them itself, from dist, as it would for a user.
    packages: 'external',
  })
  if (!result.success) {
    throw new Error(`bundling the bench scripts for node failed:\n${result.logs.map(String).join('\n')}`)
  }
  built = true
}
