import { describe, expect, test } from 'bun:test'
import { lastValueFrom, take, toArray } from 'rxjs'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  rejectionOf,
  startCaller,
  startClient,
  startCluster,
  startProvider,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

describe('calls across relays (real relays and nats-server)', () => {
  test('service calls round-robin over every provider in the cluster; pinned calls reach a node on another relay', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays.map((r) => r.url) as [string, string, string]
    await startProvider({ relayUrl: a, nodeId: 'rr-a' })
    await startProvider({ relayUrl: b, nodeId: 'rr-b' })
    await startProvider({ relayUrl: c, nodeId: 'rr-c' })
    const client = await startClient(c)
    const matrix = client.link<Matrix>('Matrix')
    await firstMatching(matrix.watch(), 'three providers', 5000, (nodes) => nodes.length === 3)
    const seen: string[] = []
    for (let i = 0; i < 6; i++) seen.push(await matrix.whoami())
    expect(new Set(seen)).toEqual(new Set(['rr-a', 'rr-b', 'rr-c']))
    // Round-robin: each provider took exactly two of six calls.
    for (const id of ['rr-a', 'rr-b', 'rr-c']) expect(seen.filter((s) => s === id).length).toBe(2)
    const pinned = client.link<Matrix>('Matrix', { node_id: 'rr-a' })
    expect(await pinned.whoami()).toBe('rr-a')
    expect(await pinned.syncValue(21)).toBe(42)
    // Relay C's cluster metrics count what crossed: 4 of the 6 round-robin calls and the 2 pinned.
    const metrics = await (await fetch(`http://127.0.0.1:${relays[2]!.port}/metrics`)).text()
    expect(metrics).toContain('spider_mesh_cluster_remote_calls_total{direction="out"} 6')
    expect(metrics).toContain('spider_mesh_cluster_relays 3')
    expect(metrics).toContain('spider_mesh_cluster_directory_nodes{relay="A"} 1')
    expect(metrics).toContain('spider_mesh_cluster_nats_connected 1')
  })

  test('preferLocal keeps service calls on the caller’s relay while it has a provider', async () => {
    const { relays } = await startCluster(['A', 'B'], { preferLocal: true })
    await startProvider({ relayUrl: relays[0]!.url, nodeId: 'pl-a' })
    await startProvider({ relayUrl: relays[1]!.url, nodeId: 'pl-b' })
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix')
    await firstMatching(matrix.watch(), 'two providers', 5000, (nodes) => nodes.length === 2)
    for (let i = 0; i < 4; i++) expect(await matrix.whoami()).toBe('pl-b')
  })

  test('streams keep their order, payloads their bytes, and errors their code across relays', async () => {
    const { relays } = await startCluster(['A', 'B'])
    await startProvider({ relayUrl: relays[0]!.url, nodeId: 'st-a' })
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    const values = await lastValueFrom(matrix.ordered(500).pipe(toArray()))
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i))
    const bytes = (await matrix.bytes(512 * 1024)) as Uint8Array
    expect(bytes.byteLength).toBe(512 * 1024)
    expect(bytes[1000]).toBe(1000 % 251)
    // Past NATS's max_payload (1 MiB by default) a result cannot cross relays: a typed error, at once.
    const tooBig = await within(3000, 'the oversized result to fail', rejectionOf(matrix.bytes(2 << 20)))
    expect(tooBig.code).toBe('PAYLOAD_TOO_LARGE')
    const tooBigArgs = await within(
      3000,
      'the oversized arguments to fail',
      rejectionOf(matrix.echo(new Uint8Array(2 << 20))),
    )
    expect(tooBigArgs.code).toBe('PAYLOAD_TOO_LARGE')
    const echoed = await matrix.echo({ when: new Date(0), map: new Map([[1, 'é🕷️']]) }, null)
    expect(echoed).toEqual([{ when: new Date(0), map: new Map([[1, 'é🕷️']]) }, null])
    const err = await rejectionOf(matrix.throwWithCode())
    expect(err.code).toBeDefined()
    expect(err.code).not.toBe('MICROSERVICE_OFFLINE')
  })

  test('a cancel reaches the provider on the other relay; so does the caller’s death', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const provider = await startProvider({ relayUrl: relays[0]!.url, nodeId: 'cx-a' })
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    const from = provider.mark()
    expect(await lastValueFrom(matrix.endless('take3').pipe(take(3), toArray()))).toEqual([0, 1, 2])
    await provider.waitForLine(/^STOPPED take3$/, { from, timeoutMs: 3000 })

    const caller = startCaller({
      relayUrl: relays[1]!.url,
      nodeId: 'cx-caller',
      method: 'endless',
      args: ['doomed'],
    })
    await caller.waitForLine(/^VALUE 2$/, { timeoutMs: 10_000 })
    const killed = provider.mark()
    caller.kill('SIGKILL')
    await provider.waitForLine(/^STOPPED doomed$/, { from: killed, timeoutMs: 5000 })
  })

  test('a provider SIGKILLed mid-stream gives the caller on another relay MICROSERVICE_OFFLINE at once', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const provider = await startProvider({ relayUrl: relays[0]!.url, nodeId: 'die-a' })
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix', { timeout: 10_000 })
    await matrix.wait({ timeout: 5000 })
    const pending = rejectionOf(matrix.slow(20_000))
    expect(await matrix.whoami()).toBe('die-a')
    provider.kill('SIGKILL')
    const err = await within(2000, 'the cross-relay call to fail', pending)
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
  })

  test('a call to a node of a relay SIGKILLed a moment ago fails at once (NATS: no responders)', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    await startProvider({ relayUrl: a.url, nodeId: 'gone-a' })
    const client = await startClient(b.url)
    const matrix = client.link<Matrix>('Matrix', { node_id: 'gone-a', timeout: 10_000 })
    await matrix.wait({ timeout: 5000 })
    a.proc.kill('SIGKILL')
    await a.proc.exited
    // Well before the heartbeat (3.5 s) or a probe (1.5 s) could tell relay B.
    const started = Date.now()
    const err = await within(1000, 'the call to fail', rejectionOf(matrix.whoami()))
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
    expect(err.message).toContain('no responders')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  test('a relay SIGKILLed mid-stream: its calls end with a typed error, the others continue', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}, (typeof relays)[0] & {}]
    await startProvider({ relayUrl: a.url, nodeId: 'rk-a' })
    await startProvider({ relayUrl: b.url, nodeId: 'rk-b' })
    const client = await startClient(c.url)
    const onA = client.link<Matrix>('Matrix', { node_id: 'rk-a', timeout: 10_000 })
    const onB = client.link<Matrix>('Matrix', { node_id: 'rk-b', timeout: 10_000 })
    await firstMatching(client.link<Matrix>('Matrix').watch(), 'two providers', 5000, (n) => n.length === 2)
    const doomed = rejectionOf(onA.slow(20_000))
    const survivor = onB.slow(1500)
    expect(await onA.whoami()).toBe('rk-a')
    a.proc.kill('SIGKILL')
    const killedAt = Date.now()
    const err = await within(5000, 'the call through the killed relay to fail', doomed)
    expect(err.code).toBe('MICROSERVICE_OFFLINE')
    // A silent relay with calls in flight is probed after 1.5 s; NATS answers "no responders".
    expect(Date.now() - killedAt).toBeLessThan(3000)
    expect(await survivor).toBe('slept 1500')
    expect(await onB.whoami()).toBe('rk-b')
  })
})
