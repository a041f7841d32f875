import { afterAll, expect, test } from 'bun:test'
import { Child, type ChildOptions, killAll } from './child.js'
import { startMeshProvider, startMeshRelay } from './scenarios/relays.js'

afterAll(killAll)
const spawn = (options: ChildOptions) => new Child(options)

test('the raw caller makes serial echo calls through a real relay and mesh provider, and times each', async () => {
  const { url } = await startMeshRelay(spawn, 'bun')
  await startMeshProvider(spawn, url)
  const caller = new Child({ name: 'raw caller', script: 'processes/raw-caller.ts', env: { RELAY_URL: url } })
  await caller.waitFor(/READY/, 15_000)
  // Ids past 127 and 255 take the longer uint formats.
  caller.send('RUN 300')
  const latencies = (await caller.waitFor(/^ROUND (.*)$/, 20_000))[1]!.split(',').map(Number)
  expect(latencies.length).toBe(300)
  expect(latencies.every((us) => us > 0 && us < 1_000_000)).toBe(true)
}, 60_000)
