import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ErrorCode, type MeshError, RemoteServiceLinker, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { filter, firstValueFrom } from 'rxjs'
import { ADAPTERS, spawnFixture, track, useCleanup } from './harness/index.js'

useCleanup()

type Matrix = { syncValue(n: number): Promise<number>; ping(): Promise<string> }

/** A self-signed certificate for 127.0.0.1, made fresh for this run (never committed). */
let certDir: string
let cert: { cert: string; key: string; certFile: string; keyFile: string }
beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'spider-mesh-tls-'))
  const keyFile = join(certDir, 'key.pem')
  const certFile = join(certDir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  )
  cert = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile }
})
afterAll(() => rmSync(certDir, { recursive: true, force: true }))

async function relay(env: Record<string, string | undefined>) {
  const proc = spawnFixture('secure relay', 'relay.ts', { PORT: '0', HOST: '127.0.0.1', ...env })
  const match = await proc.waitForLine(/Spider Mesh relay listening on ((wss?):\/\/127\.0\.0\.1:(\d+))/)
  return { proc, url: match[1]!, port: Number(match[3]) }
}

async function provider(url: string, env: Record<string, string | undefined> = {}) {
  const proc = spawnFixture('secure provider', 'provider.ts', {
    RELAY_URL: url,
    NODE_ID: 'secure-provider',
    SERVICES: 'Matrix',
    ...env,
  })
  await proc.waitForLine(/^READY secure-provider$/)
  return proc
}

function client(url: string, options: ConstructorParameters<typeof WebsocketTransporter>[0] = {}) {
  const warnings: string[] = []
  const transporter = new WebsocketTransporter({
    reconnectIntervalMs: 100,
    onWarning: (w) => warnings.push(w),
    ...options,
  })
  transporter.connect(url)
  const mesh = new SpiderMesh({ logger: silentLogger }).registerTransporter(transporter)
  track('client', () => mesh.close({ drainTimeoutMs: 0 }))
  const proxy = RemoteServiceLinker.link<Matrix>(mesh, { service: 'Matrix', timeout: 5000 })
  return { transporter, mesh, proxy, warnings }
}

const status = (t: WebsocketTransporter, url: string, wanted: string) =>
  firstValueFrom(t.status$.pipe(filter((s) => s.get(url) === wanted)))

async function codeOf(promise: PromiseLike<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (err) {
    return (err as MeshError).code
  }
  throw new Error('expected a rejection')
}

describe.each(ADAPTERS)('security (%s adapter)', (adapter) => {
  test('TLS: the relay serves wss:// with a certificate; a node trusting the CA calls through it', async () => {
    const r = await relay({
      RELAY_ADAPTER: adapter,
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
    })
    expect(r.url.startsWith('wss://')).toBe(true)
    await provider(r.url, { TLS_CA_FILE: cert.certFile })
    const trusted = client(r.url, { tls: { ca: cert.cert } })
    await trusted.proxy.wait({ timeout: 5000 })
    expect(await trusted.proxy.syncValue(21)).toBe(42)
  })

  test('TLS: a node that does not trust the certificate cannot connect, and its calls fail fast', async () => {
    const r = await relay({
      RELAY_ADAPTER: adapter,
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
    })
    const untrusting = client(r.url)
    await status(untrusting.transporter, r.url, 'error')
    expect(await codeOf(untrusting.proxy.syncValue(1))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })

  test('authentication: a valid token gets in, a wrong or missing one is refused with 401', async () => {
    const r = await relay({
      RELAY_ADAPTER: adapter,
      AUTH_TOKENS: 'provider-secret=provider,alice-secret=alice',
    })
    await provider(r.url, { MESH_TOKEN: 'provider-secret' })
    const alice = client(r.url, { token: 'alice-secret' })
    await alice.proxy.wait({ timeout: 5000 })
    expect(await alice.proxy.syncValue(2)).toBe(4)
    const mallory = client(r.url, { token: 'guess' })
    await status(mallory.transporter, r.url, 'error')
    expect(await codeOf(mallory.proxy.syncValue(1))).toBe(ErrorCode.MICROSERVICE_OFFLINE)
    const http = r.url.replace('ws://', 'http://')
    const upgrade = {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    }
    expect((await fetch(http, { headers: upgrade })).status).toBe(401)
    expect((await fetch(http, { headers: { ...upgrade, authorization: 'Bearer nope' } })).status).toBe(401)
  })

  test('authentication: a token function is asked again on reconnect, so a refreshed token gets in', async () => {
    const r = await relay({ RELAY_ADAPTER: adapter, AUTH_TOKENS: 'provider-secret=provider,fresh=alice' })
    await provider(r.url, { MESH_TOKEN: 'provider-secret' })
    let asked = 0
    const alice = client(r.url, { token: async () => (++asked === 1 ? 'expired' : 'fresh') })
    await status(alice.transporter, r.url, 'connected')
    expect(asked).toBeGreaterThanOrEqual(2)
    await alice.proxy.wait({ timeout: 5000 })
    expect(await alice.proxy.syncValue(5)).toBe(10)
  })

  test('access control: calls, provides, subscriptions and publications outside the rules are denied and reported', async () => {
    const rules = {
      provider: { provide: ['Matrix'] },
      alice: { call: ['Matrix.syncValue'], subscribe: ['news'], publish: ['news'] },
    }
    const r = await relay({
      RELAY_ADAPTER: adapter,
      AUTH_TOKENS: 'p=provider,a=alice',
      ACCESS_JSON: JSON.stringify(rules),
    })
    // The provider offers two services; only Matrix is allowed and the relay says so to it.
    const prov = spawnFixture('acl provider', 'provider.ts', {
      RELAY_URL: r.url,
      NODE_ID: 'secure-provider',
      SERVICES: 'Matrix,Other',
      MESH_TOKEN: 'p',
      WARNINGS: 'stdout',
    })
    await prov.waitForLine(/^WARNING .*ACCESS_DENIED.*provide "Other"/)
    const alice = client(r.url, { token: 'a' })
    await alice.proxy.wait({ timeout: 5000 })
    expect(await alice.proxy.syncValue(3)).toBe(6)
    const denied = RemoteServiceLinker.link<Matrix>(alice.mesh, { service: 'Matrix' })
    const err = await Promise.resolve(denied.ping()).catch((e: MeshError) => e)
    expect((err as MeshError).code).toBe(ErrorCode.ACCESS_DENIED)
    expect((err as MeshError).message).toContain('Matrix.ping')
    const other = RemoteServiceLinker.link<Matrix>(alice.mesh, { service: 'Other' })
    expect(await codeOf(other.ping())).toBe(ErrorCode.ACCESS_DENIED)
    alice.mesh.listen('secrets').subscribe()
    alice.mesh.publish('alerts', 'x')
    const deadline = Date.now() + 5000
    while (alice.warnings.filter((w) => w.includes('ACCESS_DENIED')).length < 2 && Date.now() < deadline) {
      await Bun.sleep(10)
    }
    expect(alice.warnings.some((w) => w.includes('subscribe "secrets"'))).toBe(true)
    expect(alice.warnings.some((w) => w.includes('publish on topic "alerts"'))).toBe(true)
  })

  test('access control: a passive client (isServerConnection false) cannot call unless its rules allow it', async () => {
    const r = await relay({
      RELAY_ADAPTER: adapter,
      PASSIVE_ROLE: '1',
      AUTH_TOKENS: 'p=provider,v=visitor',
      ACCESS_JSON: JSON.stringify({ provider: { provide: ['Matrix'] }, visitor: {} }),
    })
    await provider(r.url, { MESH_TOKEN: 'p' })
    const passiveUrl = `${r.url}/?role=passive`
    const visitor = client(passiveUrl, { token: 'v' })
    await status(visitor.transporter, passiveUrl, 'connected')
    await visitor.proxy.wait({ timeout: 5000 })
    expect(await codeOf(visitor.proxy.syncValue(1))).toBe(ErrorCode.ACCESS_DENIED)
  })
})
