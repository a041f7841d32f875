import { describe, expect, test } from 'bun:test'
import {
  assertBuilt,
  relayFromProcess,
  spawn,
  spawnFixture,
  startProvider,
  useCleanup,
} from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname

describe('Node runtime (built packages, no Bun)', () => {
  test('relay, provider and client all run under plain node', async () => {
    assertBuilt('The Node runtime test')
    const relayProc = spawn('node relay', ['node', `${root}packages/ws/dist/bin/relay.js`], {
      PORT: '0',
      HOST: '127.0.0.1',
      HEARTBEAT_MS: '1000',
    })
    const relay = await relayFromProcess(relayProc)
    const provider = await startProvider({ relayUrl: relay.url, nodeId: 'node-provider', runtime: 'node' })
    const caller = spawnFixture(
      'node caller',
      'node/caller.mjs',
      { RELAY_URL: relay.url, NODE_ID: 'node-caller' },
      'node',
    )
    await caller.waitForLine(/^DONE$/, { timeoutMs: 15_000 })

    const lines = caller.matching(/^(VALUE|ERROR) (\w+) (.*)$/).map((m) => `${m[1]} ${m[2]} ${m[3]}`)
    expect(lines).toEqual([
      `VALUE unary "hello node from node ${await nodeVersion()}"`,
      'VALUE stream [1,2,3]',
      'ERROR error E_NODE failed under node',
      'VALUE date "2024-01-02T03:04:05.000Z"',
      'VALUE cancel [0,1]',
    ])
    await provider.waitForLine(/^STOPPED node-cancel$/, { timeoutMs: 3000 })
    expect(await caller.exited).toBe(0)
  })
})

async function nodeVersion(): Promise<string> {
  const proc = Bun.spawn(['node', '--version'], { stdout: 'pipe' })
  return (await new Response(proc.stdout).text()).trim()
}
