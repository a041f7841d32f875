import { describe, expect, test } from 'bun:test'
import { spawn, startRelay, useCleanup } from './harness/index.js'

useCleanup()

const device = new URL('../examples/device-pairing/device.ts', import.meta.url).pathname

describe('examples/device-pairing with real relay and device processes', () => {
  test('pair (accepted, then busy), acknowledged pinned calls, and the peer’s leave seen at once', async () => {
    const relay = await startRelay()
    const start = (id: string, env: Record<string, string> = {}) =>
      spawn(`device ${id}`, [process.execPath, device], { RELAY_URL: relay.url, DEVICE_ID: id, ...env })
    const phone = start('phone')
    await phone.waitForLine(/^READY phone$/)
    const laptop = start('laptop', { PEER: 'phone', MESSAGES: '1000', INTERVAL_MS: '50' })
    await laptop.waitForLine(/^PAIRED phone$/)
    await phone.waitForLine(/^PAIRED laptop$/)
    await laptop.waitForLine(/^ACK 3 \d+$/)
    await phone.waitForLine(/^GOT laptop hello 3$/)

    const tablet = start('tablet', { PEER: 'phone' })
    await tablet.waitForLine(/^BUSY phone$/)
    expect(phone.matching(/^GOT tablet/)).toEqual([])

    phone.kill('SIGKILL')
    const killedAt = Date.now()
    await laptop.waitForLine(/^PEER_LEFT phone$/, { timeoutMs: 3000 })
    expect(Date.now() - killedAt).toBeLessThan(2000)
    // The laptop stops talking to a peer that is gone instead of crashing.
    expect(laptop.lines.some((l) => l.stream === 'stderr' && /error/i.test(l.text))).toBe(false)
  })
})
