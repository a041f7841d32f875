import { afterEach, expect, test } from 'bun:test'
import {
  ErrorCode,
  type MeshError,
  Microservice,
  RemoteServiceLinker,
  SpiderMesh,
  silentLogger,
} from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'
import { WebsocketRelayServer } from '../relay-server.js'

@Microservice({ name: 'Big' })
class Big {
  bytes(size: number) {
    return new Uint8Array(size)
  }
}

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

test('a result over the relay limit ends the call with PAYLOAD_TOO_LARGE and is logged on the provider', async () => {
  const relay = new WebsocketRelayServer({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 4096,
    logger: silentLogger,
  })
  await relay.ready
  cleanups.push(() => relay.close({ drainTimeoutMs: 0 }))
  const url = `ws://127.0.0.1:${relay.port}`
  const warnings: string[] = []
  const node = (warn?: (m: string) => void) => {
    const transporter = new WebsocketTransporter(warn ? { onWarning: warn } : { onWarning: () => {} })
    const mesh = new SpiderMesh({ logger: silentLogger })
    mesh.registerTransporter(transporter)
    transporter.connect(url)
    cleanups.push(() => mesh.close({ drainTimeoutMs: 0 }))
    return mesh
  }
  const providerMesh = node((m) => warnings.push(m))
  await providerMesh.provide(new Big())
  const caller = RemoteServiceLinker.link<Big>(node(), { service: 'Big', timeout: 3000 })
  await caller.wait({ timeout: 3000 })
  expect((await caller.bytes(10)).byteLength).toBe(10)
  const err = await caller.bytes(10_000).then(
    () => undefined,
    (e: MeshError) => e,
  )
  expect(err?.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
  expect(err?.message).toMatch(
    /^The result of Big\.bytes is \d+ bytes; relay ws:\/\/\S+ accepts messages up to \d+ bytes/,
  )
  expect(
    warnings.some((w) => w.includes('The result of Big.bytes is ') && w.includes('PAYLOAD_TOO_LARGE')),
  ).toBe(true)
})
