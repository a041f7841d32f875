import { afterEach, describe, expect, test } from 'bun:test'
import { FrameType } from '@spider-mesh/core'
import { RelayHarness } from './frame-client.test-helper.js'

describe.each(['bun', 'node'] as const)('discovery by interest (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('a node that opted in hears only of the providers of the services it declared', async () => {
    const { url } = await harness.relay()
    await harness.join(url, 'orders-1', ['Orders'])
    await harness.join(url, 'billing-1', ['Billing'])
    const client = await harness.join(url, 'client', [], [], ['Orders'])
    expect(client.welcome?.[3]).toEqual([['orders-1', ['Orders']]])
    await harness.join(url, 'billing-2', ['Billing'])
    await harness.join(url, 'orders-2', ['Orders'])
    expect(await client.next(FrameType.Node)).toEqual([FrameType.Node, 'orders-2', ['Orders']])
    expect(await client.quiet(FrameType.Node)).toEqual([])
  })

  test('an Interest frame brings the current providers of a service, then its changes', async () => {
    const { url } = await harness.relay()
    const billing = await harness.join(url, 'billing-1', ['Billing'])
    const client = await harness.join(url, 'client', [], [], [])
    expect(client.welcome?.[3]).toEqual([])
    client.send([FrameType.Interest, ['Billing']])
    expect(await client.next(FrameType.Node)).toEqual([FrameType.Node, 'billing-1', ['Billing']])
    // A node it was told about stays in its view through changes, even away from its interest.
    billing.send([FrameType.Services, ['Ledger']])
    expect(await client.next(FrameType.Node)).toEqual([FrameType.Node, 'billing-1', ['Ledger']])
    billing.close()
    expect(await client.next(FrameType.Offline)).toEqual([FrameType.Offline, 'billing-1'])
  })

  test('the leave of a node it was never told about is not sent either', async () => {
    const { url } = await harness.relay()
    const client = await harness.join(url, 'client', [], [], ['Orders'])
    const other = await harness.join(url, 'billing-1', ['Billing'])
    other.close()
    expect(await client.quiet()).toEqual([])
  })

  test("'*' (in Hello or Interest) and a Hello without the field mean every node, as before", async () => {
    const { url } = await harness.relay()
    await harness.join(url, 'billing-1', ['Billing'])
    const all = await harness.join(url, 'all', [], [], ['*'])
    const legacy = await harness.join(url, 'legacy')
    const late = await harness.join(url, 'late', [], [], [])
    expect(all.welcome?.[3]).toEqual([['billing-1', ['Billing']]])
    // Without the field: every listed node, also those that serve nothing (as before).
    expect(legacy.welcome?.[3]).toEqual([
      ['billing-1', ['Billing']],
      ['all', []],
    ])
    expect(late.welcome?.[3]).toEqual([])
    late.send([FrameType.Interest, ['*']])
    expect(await late.next(FrameType.Node)).toEqual([FrameType.Node, 'billing-1', ['Billing']])
  })
})
