import { describe, expect, test } from 'bun:test'
import { relayFromProcess, spawn, useCleanup } from './harness/index.js'

useCleanup()

const example = new URL('../examples/realtime/', import.meta.url).pathname

describe('examples/realtime (README walkthrough)', () => {
  test('a late participant replays the chat, sees who is here, joins the roster by compare-and-set, and sees a leave', async () => {
    const relay = await relayFromProcess(
      spawn('example relay', [process.execPath, `${example}relay.ts`], { PORT: '0' }),
    )
    const env = { RELAY_URL: relay.url }
    const alice = spawn('alice', [process.execPath, `${example}participant.ts`, 'alice'], env)
    await alice.waitForLine(/^\[chat\] alice: hi, I am alice$/)
    await alice.waitForLine(/^\[roster v1\] alice$/)

    const bob = spawn('bob', [process.execPath, `${example}participant.ts`, 'bob'], env)
    // Said before Bob joined: it reaches him from the relay's history, before his own message.
    await bob.waitForLine(/^\[chat\] bob: hi, I am bob$/)
    const chat = bob.matching(/^\[chat\] (.*)$/).map((m) => m[1])
    expect(chat).toEqual(['alice: hi, I am alice', 'bob: hi, I am bob'])
    await bob.waitForLine(/^\[roster v2\] alice, bob$/)
    await alice.waitForLine(/^\[roster v2\] alice, bob$/)
    await bob.waitForLine(/^\[here\] alice, bob$/)
    // Typing was set with a one-second TTL when each joined; by now it has gone by itself.
    expect(bob.matching(/^\[here\] .*bob \(typing\)/).length).toBeGreaterThan(0)

    const from = bob.mark()
    alice.kill('SIGINT')
    await bob.waitForLine(/^\[here\] bob$/, { from })
    const code = await alice.exited
    if (code !== 0) throw new Error(`alice exited ${code}:\n${alice.output()}`)
  })
})
