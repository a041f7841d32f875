import { expect, test } from 'bun:test'
import { ErrorCode, MeshError, RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'

/** A URL on 127.0.0.1 where nothing listens (the port was free a moment ago). */
function deadUrl(): string {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
  const url = `ws://127.0.0.1:${probe.port}`
  probe.stop(true)
  return url
}

test('connect() refuses a URL with a bad scheme, host or port, with INVALID_OPTION', () => {
  const transporter = new WebsocketTransporter()
  for (const bad of [
    'http://127.0.0.1:8787',
    'ws://127.0.0.1:99999',
    'ws://127.0.0.1:0',
    'ws://',
    'relay:8787',
    42,
  ]) {
    let error: unknown
    try {
      transporter.connect(bad as string)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(MeshError)
    expect((error as MeshError).code).toBe(ErrorCode.INVALID_OPTION)
    expect((error as MeshError).message).toContain(JSON.stringify(bad))
  }
})

test('an unreachable relay is logged once with its URL and cause, not once per retry', async () => {
  const warnings: string[] = []
  const transporter = new WebsocketTransporter({
    reconnectIntervalMs: 10,
    maxReconnectIntervalMs: 20,
    onWarning: (m) => warnings.push(m),
  })
  const mesh = new SpiderMesh()
  mesh.registerTransporter(transporter)
  const url = deadUrl()
  transporter.connect(url)
  // Bounded: about 20 attempts at 10–20 ms apart.
  await Bun.sleep(400)
  await mesh.close()
  expect(warnings.length).toBe(1)
  expect(warnings[0]).toContain(`Cannot reach relay ${url}`)
  expect(warnings[0]).toContain('retrying')
})

test('wait({ timeout }) and calls say that no relay is connected, and why, instead of blaming the provider', async () => {
  const transporter = new WebsocketTransporter({ reconnectIntervalMs: 50, onWarning: () => {} })
  const mesh = new SpiderMesh()
  mesh.registerTransporter(transporter)
  const url = deadUrl()
  transporter.connect(url)
  const proxy = RemoteServiceLinker.link<{ ping(): string }>(mesh, { service: 'Pinger', timeout: 1000 })
  const waited = await proxy.wait({ timeout: 300 }).then(
    () => undefined,
    (err: MeshError) => err,
  )
  expect(waited?.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  expect(waited?.message).toContain(
    'No provider of Pinger appeared within 300 ms: this node is not connected to any relay',
  )
  expect(waited?.message).toContain(url)
  const called = await proxy.ping().then(
    () => undefined,
    (err: MeshError) => err,
  )
  expect(called?.message).toContain(`not connected to any relay (${url}`)
  await mesh.close()
})
