import { describe, expect, test } from 'bun:test'
import type { Matrix } from './fixtures/services.js'
import {
  ADAPTERS,
  firstMatching,
  rejectionOf,
  relayFromProcess,
  spawn,
  startClient,
  startProvider,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

const bin = new URL('../packages/ws/src/bin/relay.ts', import.meta.url).pathname

for (const adapter of ADAPTERS) {
  describe(`the runnable relay (bun run relay, ${adapter} adapter)`, () => {
    test('prints its address, routes calls, and on SIGTERM ends pending calls and exits cleanly', async () => {
      const proc = spawn(`relay bin ${adapter}`, [process.execPath, bin], {
        PORT: '0',
        HOST: '127.0.0.1',
        RELAY_ADAPTER: adapter,
      })
      const relay = await relayFromProcess(proc)
      await startProvider({ relayUrl: relay.url, nodeId: `bin-provider-${adapter}` })
      const client = await startClient(relay.url)
      const matrix = client.link<Matrix>('Matrix', { timeout: 30_000 })
      await matrix.wait({ timeout: 5000 })
      expect(await matrix.whoami()).toBe(`bin-provider-${adapter}`)

      const pending = rejectionOf(matrix.slow(20_000))
      expect(await matrix.syncValue(1)).toBe(2)
      proc.kill('SIGTERM')
      expect((await within(3000, 'the pending call to fail', pending)).code).toBe('MICROSERVICE_OFFLINE')
      await firstMatching(
        client.transporter.status$,
        'the relay to be gone',
        3000,
        (s) => s.get(relay.url) !== 'connected',
      )
      await proc.waitForLine(/^Spider Mesh relay stopped \(SIGTERM\)$/, { timeoutMs: 3000 })
      expect(await proc.exited).toBe(0)
    })
  })
}
