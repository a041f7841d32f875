import { afterAll, expect, test } from 'bun:test'
import { RemoteServiceLinker, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { Child, killAll } from './child.js'
import { startMeshProvider } from './scenarios/relays.js'

afterAll(killAll)
const spawn = (options: ConstructorParameters<typeof Child>[0]) => new Child(options)

async function floorRelay(): Promise<string> {
  const relay = new Child({
    name: 'floor relay',
    script: 'processes/floor-relay.ts',
    env: { HOST: '127.0.0.1', PORT: 0 },
  })
  return (await relay.waitFor(/listening on (ws:\/\/\S+)/, 15_000))[1]!
}

/** A mesh caller in this process, connected to `url`, and its proxy of the bench's echo service. */
function caller(url: string) {
  const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 30_000 })
  const mesh = new SpiderMesh({ nodeId: `floor-test-${process.pid}`, logger: silentLogger })
  mesh.registerTransporter(transporter)
  transporter.connect(url)
  const proxy = RemoteServiceLinker.link<{ echo(payload: string): Promise<string> }>(mesh, {
    service: 'BenchEcho',
    timeout: 5_000,
  })
  return { mesh, proxy }
}

test('the floor relay carries a mesh caller’s serial calls to a real mesh provider and back', async () => {
  const url = await floorRelay()
  await startMeshProvider(spawn, url)
  // The provider offered its service before the caller said Hello: Welcome lists it.
  const { mesh, proxy } = caller(url)
  try {
    await proxy.wait({ timeout: 10_000 })
    // Ids past 127 and 255 take msgpack's longer uint formats, which the floor passes as they are.
    for (let i = 0; i < 300; i++) expect(await proxy.echo(`call ${i}`)).toBe(`call ${i}`)
    const large = 'y'.repeat(70_000)
    expect(await proxy.echo(large)).toBe(large)
  } finally {
    await mesh.close()
  }
}, 60_000)

test('a caller welcomed before the provider offers hears of it and reaches it', async () => {
  const url = await floorRelay()
  const { mesh, proxy } = caller(url)
  try {
    // Welcome listed no provider; the floor announces the provider with a Node frame.
    await startMeshProvider(spawn, url)
    await proxy.wait({ timeout: 10_000 })
    expect(await proxy.echo('late')).toBe('late')
  } finally {
    await mesh.close()
  }
}, 60_000)
