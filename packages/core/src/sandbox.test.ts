import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import vm from 'node:vm'

/**
 * Browser / React Native safety: the BUILT core (dist, with its dependencies bundled as a browser
 * would) must load and run a call in a context that has no `process`, `Buffer` or `require`.
 */
const dist = join(import.meta.dir, '..', 'dist', 'index.js')

describe('built core in a sandbox without Node globals', () => {
  test('loads and runs a call over the in-process transporter', async () => {
    if (!existsSync(dist))
      throw new Error(`${dist} is missing: run \`bun run build\` first (the test script does)`)
    const dir = mkdtempSync(join(tmpdir(), 'spider-sandbox-'))
    const entry = join(dir, 'entry.js')
    writeFileSync(entry, `import * as core from ${JSON.stringify(dist)}\nglobalThis.SpiderMeshCore = core\n`)
    const built = await Bun.build({ entrypoints: [entry], target: 'browser', format: 'iife' })
    rmSync(dir, { recursive: true, force: true })
    expect(built.success).toBe(true)
    const source = await built.outputs[0]!.text()
    const sandbox: Record<string, unknown> = {
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      TextEncoder,
      TextDecoder,
      Promise,
    }
    vm.createContext(sandbox)
    for (const name of ['process', 'Buffer', 'require', 'module', 'global']) {
      expect(vm.runInContext(`typeof ${name}`, sandbox)).toBe('undefined')
    }
    vm.runInContext(source, sandbox)
    const result = await vm.runInContext(
      `(async () => {
        const { SpiderMesh, InProcessTransporter, Microservice, RemoteServiceLinker } = SpiderMeshCore
        const bus = new InProcessTransporter()
        const provider = new SpiderMesh({ nodeId: 'p' }).registerTransporter(bus)
        const caller = new SpiderMesh({ nodeId: 'c' }).registerTransporter(bus)
        const Greeter = Microservice()(class Greeter { hello(name) { return 'hello ' + name + ' at ' + new Date(0).toISOString() } })
        await provider.provide(new Greeter())
        const proxy = RemoteServiceLinker.link(caller, { service: 'Greeter' })
        const value = await proxy.hello('sandbox')
        await caller.close()
        await provider.close()
        return value
      })()`,
      sandbox,
    )
    expect(result).toBe('hello sandbox at 1970-01-01T00:00:00.000Z')
  })
})
