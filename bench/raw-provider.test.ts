import { afterAll, expect, test } from 'bun:test'
import { type MeshError, RemoteServiceLinker } from '@spider-mesh/core'
import { Child, type ChildOptions, killAll } from './child.js'
import { PAYLOAD } from './closed-loop.js'
import { connectMesh } from './processes/mesh-connect.js'
import { startMeshRelay } from './scenarios/relays.js'

afterAll(killAll)
const spawn = (options: ChildOptions) => new Child(options)

interface BenchEcho {
  echo(value: unknown): string
}

test('the raw provider answers echo(text) from its bytes, and any other call with an error', async () => {
  const { url } = await startMeshRelay(spawn, 'bun')
  const provider = new Child({
    name: 'raw provider',
    script: 'processes/raw-provider.ts',
    env: { RELAY_URL: url },
  })
  await provider.waitFor(/READY/, 15_000)
  const mesh = await connectMesh(url, `raw-provider-test-${process.pid}`)
  try {
    const proxy = RemoteServiceLinker.link<BenchEcho>(mesh, { service: 'BenchEcho', timeout: 5000 })
    await proxy.wait({ timeout: 5000 })
    // The bench's 100-character payload (a str8), a short one (fixstr), an id past 127.
    for (let i = 0; i < 200; i++) expect(await proxy.echo(PAYLOAD)).toBe(PAYLOAD)
    expect(await proxy.echo('hi')).toBe('hi')
    const notText = await proxy.echo(42).then(
      () => undefined,
      (err: MeshError) => err,
    )
    expect(notText?.message).toBe('the raw provider serves echo(text) only')
  } finally {
    await mesh.close({ drainTimeoutMs: 0 })
  }
}, 30_000)
