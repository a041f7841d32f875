import { afterEach, describe, expect, test } from 'bun:test'
import { ErrorCode, FrameType, MeshError, silentLogger } from '@spider-mesh/core'
import { RelayHarness } from './frame-client.test-helper.js'

const quiet = { logger: silentLogger }

describe.each(['bun', 'node'] as const)('announcement limits (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('past maxServicesPerNode only the first services are listed, and the node is told why', async () => {
    const { url } = await harness.relay({ ...quiet, maxServicesPerNode: 3 })
    const watcher = await harness.join(url, 'watcher')
    const greedy = await harness.join(url, 'greedy', ['A', 'B', 'C', 'D', 'E'])
    expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'greedy', ['A', 'B', 'C']])
    const [, code, message] = await greedy.next(FrameType.Error)
    expect(code).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
    expect(message).toContain('maxServicesPerNode')
    // A Services frame is held to the same limit.
    greedy.send([FrameType.Services, ['V', 'W', 'X', 'Y']])
    expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'greedy', ['V', 'W', 'X']])
  })

  test('service and topic names past maxNameLength are refused with a PAYLOAD_TOO_LARGE report', async () => {
    const { url, server } = await harness.relay({ ...quiet, maxNameLength: 8 })
    const watcher = await harness.join(url, 'watcher')
    const node = await harness.join(url, 'n', ['Short', 'MuchTooLongName'], ['news', 'a-very-long-topic'])
    expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'n', ['Short']])
    const errors = [await node.next(FrameType.Error), await node.next(FrameType.Error)]
    expect(errors.map((f) => f[1])).toEqual([ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.PAYLOAD_TOO_LARGE])
    expect(errors.map((f) => f[2]).join(' ')).toContain('maxNameLength')
    node.send([FrameType.Subscribe, 'another-long-topic'])
    await node.next(FrameType.Error)
    expect(server.stats().subscriptions).toBe(1)
  })

  test("service names starting with $ (the relay's own) are not listed, and the node is told why", async () => {
    const { url } = await harness.relay(quiet)
    const watcher = await harness.join(url, 'watcher')
    const node = await harness.join(url, 'n', ['Orders', '$records'])
    expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'n', ['Orders']])
    const [, code, message] = await node.next(FrameType.Error)
    expect(code).toBe(ErrorCode.ACCESS_DENIED)
    expect(message).toContain('may not provide "$records": names starting with $ are reserved')
  })

  test('the options are validated', () => {
    expect(() => harness.relay({ ...quiet, maxServicesPerNode: 0 })).toThrow(MeshError)
    expect(() => harness.relay({ ...quiet, maxNameLength: 1.5 })).toThrow(/maxNameLength/)
  })
})
