import { describe, expect, test } from 'bun:test'
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  assertBuilt,
  installOffline,
  packPackages,
  relayFromProcess,
  runToEnd,
  spawn,
  track,
  useCleanup,
  within,
  writeOfflineApp,
} from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname
const appSources = new URL('./fixtures/packed-app/', import.meta.url).pathname

/** The exact versions this repository tests with, so npm finds them in its cache. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8'))
  const version = lock.packages[`node_modules/${name}`]?.version
  if (!version) throw new Error(`package-lock.json has no ${name}: run \`npm install\` in the repository`)
  return version
}

describe('the npm packages, installed outside the repository', () => {
  test('npm pack → npm install in a fresh project → tsc (legacy and TC39 decorators) → relay, providers and client under node and Bun', async () => {
    assertBuilt('The packaging test')
    // Outside the repository, so nothing resolves through the workspace's node_modules.
    const work = mkdtempSync(join(tmpdir(), 'spider-mesh-packaging-'))
    track('packaging temp dir', () => rmSync(work, { recursive: true, force: true }))
    const tarballDir = join(work, 'tarballs')
    const app = join(work, 'app')
    mkdirSync(tarballDir)
    cpSync(appSources, app, { recursive: true })

    const tarballs = await packPackages(tarballDir)
    expect(tarballs.map((t) => t.name).sort()).toEqual(['@spider-mesh/core', '@spider-mesh/ws'])
    writeOfflineApp(app, tarballs, {
      typescript: lockedVersion('typescript'),
      '@types/node': lockedVersion('@types/node'),
    })
    await installOffline(app)
    for (const t of tarballs) {
      // Unpacked from the tarball, not a link back into the workspace.
      expect(lstatSync(`${app}/node_modules/${t.name}`).isSymbolicLink()).toBe(false)
      expect(JSON.parse(readFileSync(`${app}/node_modules/${t.name}/package.json`, 'utf8')).version).toBe(
        t.version,
      )
    }

    // One source tree, compiled twice: `experimentalDecorators` (+ metadata) and TC39 decorators.
    const tsc = `${app}/node_modules/.bin/tsc`
    await Promise.all(
      ['legacy', 'standard'].map((mode) =>
        runToEnd(`tsc ${mode}`, [tsc, '-p', `tsconfig.${mode}.json`], app, 30_000),
      ),
    )
    // The two builds really differ in how the decorator is applied.
    expect(readFileSync(`${app}/dist-legacy/greeting-service.js`, 'utf8')).toContain('__decorate(')
    expect(readFileSync(`${app}/dist-standard/greeting-service.js`, 'utf8')).toContain('__esDecorate(')

    // The bins are linked from the tarball and run under plain node.
    expect(
      await runToEnd('spider-mesh --help', [`${app}/node_modules/.bin/spider-mesh`, '--help'], app, 10_000),
    ).toContain('Usage: spider-mesh <command>')

    // The export conditions: Node gets the compiled dist, Bun the TypeScript sources (which must
    // have shipped whole: no source may import a test file the tarball left out).
    const resolveCore = "console.log(import.meta.resolve('@spider-mesh/core'))"
    expect(
      await runToEnd('node resolve', ['node', '--input-type=module', '-e', resolveCore], app, 10_000),
    ).toEndWith('/node_modules/@spider-mesh/core/dist/index.js')
    expect(await runToEnd('bun resolve', [process.execPath, '-e', resolveCore], app, 10_000)).toEndWith(
      '/node_modules/@spider-mesh/core/src/index.ts',
    )

    const relay = await relayFromProcess(
      spawn('packed relay', ['node', `${app}/dist-legacy/relay.js`], { PORT: '0' }),
    )
    // Two providers under node (one per decorator mode) and one under Bun, straight from the
    // TypeScript source (tsconfig.json: TC39 decorators) and the package's `bun` condition.
    const providers = {
      'provider-legacy': ['node', `${app}/dist-legacy/provider.js`],
      'provider-standard': ['node', `${app}/dist-standard/provider.js`],
      'provider-bun': [process.execPath, `${app}/provider.ts`],
    }
    await Promise.all(
      Object.entries(providers).map(([node, cmd]) =>
        spawn(`packed ${node}`, cmd, { RELAY_URL: relay.url, NODE_ID: node }).waitForLine(
          new RegExp(`^READY ${node}$`),
          { timeoutMs: 10_000 },
        ),
      ),
    )
    const client = spawn('packed client', ['node', `${app}/dist-standard/client.js`], {
      RELAY_URL: relay.url,
      TARGETS: Object.keys(providers).join(','),
    })
    expect(await within(20_000, 'the packed client to finish', client.exited)).toBe(0)
    const results = client.matching(/^RESULT (\S+) (.*)$/).map((m) => [m[1], JSON.parse(m[2]!)])
    expect(results).toEqual(
      Object.keys(providers).map((node) => [node, { greeting: 'hello packed world', sum: 5 }]),
    )
  }, 90_000)
})
