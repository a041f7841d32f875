import { describe, expect, test } from 'bun:test'
import { FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  RawSocket,
  startClient,
  startCluster,
  startProvider,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

describe('discovery by interest across relays (real relays and nats-server)', () => {
  test('a node hears of the providers of the services it uses, not of every join in the cluster', async () => {
    const { relays } = await startCluster(['A', 'B'], { passiveRole: true })
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    // A passive client (a browser, say) that linked only Matrix: its interest rides in the Hello.
    const raw = new RawSocket(`${b.url}?role=passive`)
    await raw.opened
    raw.send([FrameType.Hello, PROTOCOL_VERSION, 'watcher', [], [], {}, ['Matrix']])
    await raw.next('Welcome', (f) => f[0] === FrameType.Welcome)
    for (let i = 0; i < 3; i++)
      await startProvider({ relayUrl: a.url, nodeId: `other-${i}`, services: ['Other'] })
    await startProvider({ relayUrl: a.url, nodeId: 'matrix-a' })
    await raw.next('the Matrix provider on A', (f) => f[0] === FrameType.Node && f[1] === 'matrix-a')
    // A real client linked to Other sees all three, so they did reach relay B.
    const client = await startClient(b.url)
    const other = client.link<{ ping(): string }>('Other')
    await firstMatching(other.watch(), 'three Other providers through B', 5000, (n) => n.length === 3)
    expect(raw.frames.filter((f) => f[0] === FrameType.Node).map((f) => f[1])).toEqual(['matrix-a'])
  })

  test('proxy.nodes, wait() and watch() of a proxy made by link() follow its providers across relays', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix')
    expect(matrix.nodes).toEqual([])
    const waiting = matrix.wait({ timeout: 5000 })
    const provider = await startProvider({ relayUrl: relays[0]!.url, nodeId: 'follow-a' })
    await waiting
    expect(matrix.nodes.map((n) => n.node_id)).toEqual(['follow-a'])
    // A proxy made after the provider joined learns of it too (its interest is sent then).
    const late = client.link<Matrix>('Matrix', { node_id: 'follow-a' })
    await late.wait({ timeout: 3000 })
    provider.kill('SIGKILL')
    await firstMatching(matrix.watch(), 'the provider to leave', 5000, (n) => n.length === 0)
    await until('the late proxy to see it gone', () => late.nodes.length === 0)
  })
})
