import { readFileSync, writeFileSync } from 'node:fs'
import { track } from './cleanup.js'
import { within } from './deadline.js'
import { ManagedProcess } from './managed-process.js'

const root = new URL('../..', import.meta.url).pathname

/** One tarball `npm pack` wrote. */
export interface PackedTarball {
  name: string
  version: string
  /** Absolute path of the `.tgz`. */
  file: string
  /** `sha512-…` of the tarball, as npm pack reports it. */
  integrity: string
  dependencies: Record<string, string>
  bin?: Record<string, string>
}

type LockEntry = {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

/**
 * The environment of an npm child process. Under `npm test` the parent npm exports its config as
 * `npm_config_*`: `npm_config_local_prefix` alone would point a child `npm install` at this
 * repository instead of the temporary app. Only where the cache and the user's config live is kept.
 */
function npmEnv(): Record<string, string | undefined> {
  const keep = new Set([
    'npm_config_cache',
    'npm_config_userconfig',
    'npm_config_globalconfig',
    'npm_config_cafile',
  ])
  const env: Record<string, string | undefined> = {}
  for (const key of Object.keys(process.env)) {
    if (/^npm_/i.test(key) && !keep.has(key.toLowerCase())) env[key] = undefined
  }
  env.INIT_CWD = undefined
  return env
}

/** Runs a command to its end (within `timeoutMs`), failing with its output when it exits non-zero. */
export async function runToEnd(name: string, cmd: string[], cwd: string, timeoutMs: number): Promise<string> {
  const proc = new ManagedProcess({ name, cmd, cwd, env: cmd[0] === 'npm' ? npmEnv() : {} })
  track(name, () => proc.stop())
  const code = await within(timeoutMs, `${name} to finish`, proc.exited).catch((err: Error) => {
    throw new Error(`${err.message}. Output so far:\n${proc.output() || '  (nothing)'}`)
  })
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${proc.output() || '  (nothing)'}`)
  return proc.lines
    .filter((line) => line.stream === 'stdout')
    .map((line) => line.text)
    .join('\n')
}

/** `npm pack` of both workspace packages into `destination`, as a user or a publish would get them. */
export async function packPackages(destination: string): Promise<PackedTarball[]> {
  const cmd = [
    'npm',
    'pack',
    '--json',
    '--pack-destination',
    destination,
    '-w',
    'packages/core',
    '-w',
    'packages/ws',
  ]
  const packed = JSON.parse(await runToEnd('npm pack', cmd, root, 30_000)) as {
    name: string
    version: string
    filename: string
    integrity: string
  }[]
  return packed.map((p) => {
    const manifest = JSON.parse(readFileSync(`${root}packages/${p.name.split('/')[1]}/package.json`, 'utf8'))
    return {
      name: p.name,
      version: p.version,
      file: `${destination}/${p.filename}`,
      integrity: p.integrity,
      dependencies: manifest.dependencies ?? {},
      bin: manifest.bin,
    }
  })
}

/**
 * Writes `package.json` and `package-lock.json` of an app in `dir` that depends on the tarballs
 * (as `file:` specs: copies, no workspace links) and on `devDependencies` (exact versions).
 *
 * Why a lock file: npm's cache holds the registry tarballs this repository installed, but not the
 * registry's package metadata (an install from a lock file fetches tarballs only), so a plain
 * `npm install --offline <tarballs>` could not resolve `rxjs@^7.8.2`. The app's lock is cut from
 * this repository's: every package the tarballs and `devDependencies` need, at the versions the
 * repository tests with, so the install needs nothing but the cache.
 */
export function writeOfflineApp(
  dir: string,
  tarballs: PackedTarball[],
  devDependencies: Record<string, string>,
): void {
  const repoLock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  const own = new Set(tarballs.map((t) => t.name))
  const dependencies = Object.fromEntries(tarballs.map((t) => [t.name, `file:${t.file}`]))
  const packages: Record<string, LockEntry> = {
    '': { name: 'packed-app', dependencies, devDependencies },
  }
  for (const t of tarballs) {
    packages[`node_modules/${t.name}`] = {
      version: t.version,
      resolved: `file:${t.file}`,
      integrity: t.integrity,
      license: 'MIT',
      dependencies: t.dependencies,
      ...(t.bin ? { bin: t.bin } : {}),
    }
  }
  const needed = [...tarballs.flatMap((t) => Object.keys(t.dependencies)), ...Object.keys(devDependencies)]
  for (let name = needed.pop(); name !== undefined; name = needed.pop()) {
    const key = `node_modules/${name}`
    if (own.has(name) || packages[key]) continue
    const entry = repoLock.packages[key]
    if (!entry) throw new Error(`package-lock.json has no ${key}: run \`npm install\` in the repository`)
    packages[key] = entry
    const optional = new Set([
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.entries(entry.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([dep]) => dep),
    ])
    for (const dep of [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ]) {
      // As npm does: an optional dependency or optional peer that was not installed stays out.
      if (optional.has(dep) && !repoLock.packages[`node_modules/${dep}`]) continue
      needed.push(dep)
    }
  }
  const manifest = { name: 'packed-app', private: true, type: 'module', dependencies, devDependencies }
  writeFileSync(`${dir}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`)
  const lock = { name: 'packed-app', lockfileVersion: 3, requires: true, packages }
  writeFileSync(`${dir}/package-lock.json`, `${JSON.stringify(lock, null, 2)}\n`)
}

/**
 * `npm install --offline` in `dir`: never the network. A cache miss fails with what to do about it.
 */
export async function installOffline(dir: string): Promise<void> {
  const cmd = ['npm', 'install', '--offline', '--no-audit', '--no-fund', '--prefix', dir]
  try {
    await runToEnd('npm install --offline', cmd, dir, 60_000)
  } catch (err) {
    const message = (err as Error).message
    if (!message.includes('ENOTCACHED')) throw err
    throw new Error(
      'npm could not install the packed app from its cache (ENOTCACHED), and this test never uses the ' +
        'network. Run `npm install` in the repository first: it fills the npm cache this test installs from.\n' +
        message,
    )
  }
}
