/**
 * A "nesting bomb": a message of N bytes 0x91 is N arrays nested in one another. It is tiny next to
 * the payload limit, yet a decoder without a depth limit keeps one stack entry per level. These
 * tests prove that such a message, below maxPayloadBytes, costs neither the relay (which decodes
 * every frame) nor a provider (which decodes the arguments the relay forwards untouched) more than
 * a bounded amount of memory and time. Found by the fuzz test (e2e/fuzz/relay-fuzz.e2e.test.ts).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { encodeFrame, FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import type { Matrix } from '../fixtures/services.js'
import {
  type ManagedProcess,
  type RelayProcess,
  relayFromProcess,
  spawnFixture,
  startClient,
  startProvider,
  type TestClient,
  until,
  useCleanup,
  within,
} from '../harness/index.js'
import { FuzzSocket } from './fuzz-socket.js'
import { canReadRss, rssMiB, rssSampler } from './relay-probe.js'

useCleanup()

const MiB = 1024 * 1024
const MAX_PAYLOAD_BYTES = 8 * MiB
/** 7 MiB of 0x91: seven million arrays of one element, nested. */
const BOMB = new Uint8Array(7 * MiB).fill(0x91)
/**
 * What a message below the limit may cost a process at its peak: the message itself and a few
 * copies (≤ 4 × maxPayloadBytes) plus 64 MiB of allocator slack, as in the fuzz test's bound.
 */
const PEAK_ALLOWANCE_MIB = (4 * MAX_PAYLOAD_BYTES) / MiB + 64

describe('a nesting bomb below the payload limit', () => {
  let relay: RelayProcess
  let provider: ManagedProcess
  let client: TestClient
  const providerId = 'bomb-target'

  beforeAll(async () => {
    const proc = spawnFixture('bomb-relay', 'guarded.ts', {
      FIXTURE: 'relay.ts',
      PORT: '0',
      RELAY_ADAPTER: 'bun',
      HEARTBEAT_MS: '500',
      MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
    })
    relay = await relayFromProcess(proc)
    provider = await startProvider({ relayUrl: relay.url, nodeId: providerId })
    client = await startClient(relay.url)
    await client.link<Matrix>('Matrix').wait({ timeout: 5000 })
  })

  test('sent to the relay, is refused without costing it hundreds of MB or stalling other calls', async () => {
    const matrix = client.link<Matrix>('Matrix', { timeout: 5000 })
    const baseline = canReadRss ? rssMiB(relay.proc.pid) : 0
    const sampler = canReadRss ? rssSampler(relay.proc.pid, 5) : undefined
    const socket = new FuzzSocket(relay.url, 'bomb to relay')
    await socket.opened
    socket.send(BOMB)
    // An honest call made just after the bomb must not wait for it (the relay handles one message at a time).
    const sentAt = Date.now()
    expect(await within(10_000, 'an honest call after the bomb', matrix.whoami())).toBe(providerId)
    const callMs = Date.now() - sentAt
    // The relay answers the bomb with an Error frame (or closes the socket): it was handled.
    await until(
      'the relay to answer the bomb',
      () => socket.count(FrameType.Error) > 0 || !socket.open,
      20_000,
    )
    sampler?.stop()
    socket.close()
    console.log(
      `nesting bomb → relay: RSS ${baseline.toFixed(0)} → peak ${sampler?.peak.toFixed(0)} MiB; an honest call meanwhile took ${callMs} ms`,
    )
    if (sampler) expect(sampler.peak - baseline).toBeLessThan(PEAK_ALLOWANCE_MIB)
    expect(callMs).toBeLessThan(500)
  }, 30_000)

  test('sent as call arguments, is refused by the provider without costing it hundreds of MB', async () => {
    const baseline = canReadRss ? rssMiB(provider.pid) : 0
    const sampler = canReadRss ? rssSampler(provider.pid, 5) : undefined
    const socket = new FuzzSocket(relay.url, 'bomb to provider')
    await socket.opened
    socket.send(encodeFrame([FrameType.Hello, PROTOCOL_VERSION, 'bomber', [], []]))
    // The relay forwards payloads as opaque bytes: the provider is the one that decodes them.
    socket.send(encodeFrame([FrameType.Request, 1, 'Matrix', 'whoami', providerId, BOMB]))
    await until('the provider to answer', () => socket.count(FrameType.Response) > 0, 20_000)
    sampler?.stop()
    socket.close()
    console.log(`nesting bomb → provider: RSS ${baseline.toFixed(0)} → peak ${sampler?.peak.toFixed(0)} MiB`)
    expect(provider.alive).toBe(true)
    if (sampler) expect(sampler.peak - baseline).toBeLessThan(PEAK_ALLOWANCE_MIB)
  }, 30_000)
})
