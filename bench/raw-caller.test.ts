import { afterAll, expect, test } from 'bun:test'
import { Child, killAll } from './child.js'

afterAll(killAll)

test('the raw caller makes serial echo calls through a real relay and mesh provider, and times each', async () => {
  const relay = new Child({
    name: 'relay',
    script: 'processes/mesh-relay.ts',
    env: { HOST: '127.0.0.1', PORT: 0, RELAY_ADAPTER: 'bun' },
  })
  const url = (await relay.waitFor(/listening on (ws:\/\/\S+)/, 15_000))[1]!
  const provider = new Child({
    name: 'provider',
    script: 'processes/mesh-provider.ts',
    env: { RELAY_URL: url },
  })
  await provider.waitFor(/READY/, 15_000)
  const caller = new Child({ name: 'raw caller', script: 'processes/raw-caller.ts', env: { RELAY_URL: url } })
  await caller.waitFor(/READY/, 15_000)
  // Ids past 127 and 255 take the longer uint formats.
  caller.send('RUN 300')
  const latencies = (await caller.waitFor(/^ROUND (.*)$/, 20_000))[1]!.split(',').map(Number)
  expect(latencies.length).toBe(300)
  expect(latencies.every((us) => us > 0 && us < 1_000_000)).toBe(true)
}, 60_000)
