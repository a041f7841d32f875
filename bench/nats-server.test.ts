import { describe, expect, test } from 'bun:test'
import { NATS_MISSING, portFromPortsFile } from './nats-server.js'

describe('portFromPortsFile', () => {
  test("reads the client port from nats-server's ports file", () => {
    expect(portFromPortsFile('{"nats":["nats://127.0.0.1:41234"],"monitoring":[]}')).toBe(41234)
  })

  test('is 0 while the file is absent, empty or half written', () => {
    expect(portFromPortsFile('')).toBe(0)
    expect(portFromPortsFile('{"nats":["nats://127.0')).toBe(0)
    expect(portFromPortsFile('{}')).toBe(0)
  })
})

test('the missing-binary message says how to install nats-server on its first line', () => {
  const first = NATS_MISSING.split('\n')[0]!
  expect(first).toContain('apt-get install nats-server')
  expect(first).toContain('https://github.com/nats-io/nats-server/releases')
})
