import { builtinModules } from 'node:module'

const fixtures = new URL('../fixtures/', import.meta.url).pathname

/**
 * Bundles a fixture for a non-Node runtime with `Bun.build` (target browser), resolving the
 * packages as an app's bundler would: through their `import` exports, i.e. the built `dist/`.
 * `conditions` adds resolver conditions (`react-native` for Metro's).
 */
export async function bundleFixture(file: string, conditions: string[] = []): Promise<string> {
  const built = await Bun.build({
    entrypoints: [`${fixtures}${file}`],
    target: 'browser',
    format: 'esm',
    conditions,
  })
  if (!built.success) {
    throw new Error(`Bundling ${file} failed:\n${built.logs.map((log) => String(log)).join('\n')}`)
  }
  return built.outputs[0]!.text()
}

// Bun's list adds its own modules and polyfilled packages (`ws`, `undici`): those are npm names.
const builtins = new Set(
  builtinModules.filter(
    (name) => !name.startsWith('_') && !name.startsWith('bun') && name !== 'ws' && name !== 'undici',
  ),
)

/**
 * Imports and requires of Node (or Bun) built-ins left in a bundle (`node:fs`, `require("events")`, ...):
 * a browser or React Native bundle must have none.
 */
export function nodeBuiltinsIn(source: string): string[] {
  const found = new Set<string>()
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"']+)["']/g
  for (const match of source.matchAll(specifier)) {
    const name = match[1]!
    const runtimeOnly = name.startsWith('node:') || name.startsWith('bun:') || name === 'bun'
    if (runtimeOnly || builtins.has(name.split('/')[0]!)) found.add(name)
  }
  return [...found]
}
