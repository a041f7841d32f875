import { describe, expect, test } from 'bun:test'
import { type FanOutResult, RemoteServiceLinker } from '@spider-mesh/core'
import { lastValueFrom, toArray } from 'rxjs'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  startClient,
  startCluster,
  startProvider,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

describe('fan-out calls (RemoteServiceLinker.all) through real relays', () => {
  test('every provider answers once, across relays; a frozen one is an error after the timeout, not silence', async () => {
    const { relays } = await startCluster(['A', 'B'])
    await startProvider({ relayUrl: relays[0]!.url, nodeId: 'fan-a' })
    await startProvider({ relayUrl: relays[1]!.url, nodeId: 'fan-b' })
    const frozen = await startProvider({ relayUrl: relays[1]!.url, nodeId: 'fan-frozen' })
    const client = await startClient(relays[1]!.url)
    const matrix = client.link<Matrix>('Matrix', { timeout: 500 })
    await firstMatching(matrix.watch(), 'three providers', 5000, (nodes) => nodes.length === 3)
    frozen.kill('SIGSTOP')
    try {
      const results = await within(
        5000,
        'the fan-out to complete',
        lastValueFrom(RemoteServiceLinker.all(matrix).whoami().pipe(toArray())),
      )
      const seen = Object.fromEntries(
        results.map((r: FanOutResult<string>) => [r.node_id, 'error' in r ? r.error.code : r.value]),
      )
      expect(seen).toEqual({ 'fan-a': 'fan-a', 'fan-b': 'fan-b', 'fan-frozen': 'MICROSERVICE_RPC_TIMEOUT' })
    } finally {
      frozen.kill('SIGCONT')
    }
  })
})
