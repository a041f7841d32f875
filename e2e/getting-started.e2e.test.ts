import { describe, expect, test } from 'bun:test'
import { relayFromProcess, spawn, useCleanup } from './harness/index.js'

useCleanup()

const examples = new URL('../examples/getting-started/', import.meta.url).pathname

describe('GETTING_STARTED.md walkthrough', () => {
  test('the relay, provider and client examples run as written and the client prints the greeting', async () => {
    const relay = await relayFromProcess(
      spawn('example relay', [process.execPath, `${examples}relay.ts`], { PORT: '0' }),
    )
    const env = { RELAY_URL: relay.url }
    const provider = spawn('example provider', [process.execPath, `${examples}provider.ts`], env)
    await provider.waitForLine(/^GreetingService is served by \S+ through ws:\/\/127\.0\.0\.1:\d+$/)
    const client = spawn('example client', [process.execPath, `${examples}client.ts`], env)

    expect(await client.exited).toBe(0)
    expect(client.lines).toEqual(
      ['hello world', 'countdown 3', 'countdown 2', 'countdown 1', 'countdown 0'].map((text) => ({
        stream: 'stdout',
        text,
      })),
    )
  })

  test('a client started before the provider waits for it', async () => {
    const relay = await relayFromProcess(
      spawn('example relay', [process.execPath, `${examples}relay.ts`], { PORT: '0' }),
    )
    const env = { RELAY_URL: relay.url }
    const client = spawn('example client', [process.execPath, `${examples}client.ts`], env)
    spawn('example provider', [process.execPath, `${examples}provider.ts`], env)
    await client.waitForLine(/^hello world$/)
    expect(await client.exited).toBe(0)
  })
})
