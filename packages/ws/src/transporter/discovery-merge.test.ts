import { expect, test } from 'bun:test'
import type { DiscoveryEvent } from './connection-status.js'
import { DiscoveryMerge } from './discovery-merge.js'

const event = (type: DiscoveryEvent['type'], url: string, services = ['S']): DiscoveryEvent => ({
  type,
  node_id: 'n1',
  services,
  url,
})

test('a node seen through two relays is discovered once and goes offline when the last one drops it', () => {
  const out: string[] = []
  const merge = new DiscoveryMerge((e) => out.push(`${e.type} ${e.services.join(',')}`))
  merge.push(event('discovered', 'ws://a'))
  merge.push(event('discovered', 'ws://b'))
  merge.push(event('changed', 'ws://a', ['S', 'T']))
  merge.push(event('changed', 'ws://b', ['S', 'T']))
  merge.push(event('offline', 'ws://a'))
  expect(out).toEqual(['discovered S', 'changed S,T'])
  merge.push(event('offline', 'ws://b'))
  merge.push(event('offline', 'ws://b'))
  expect(out).toEqual(['discovered S', 'changed S,T', 'offline S'])
})

test('a second relay reporting other services is a change, not a discovery', () => {
  const out: string[] = []
  const merge = new DiscoveryMerge((e) => out.push(`${e.type} ${e.services.join(',')} ${e.url}`))
  merge.push(event('discovered', 'ws://a'))
  merge.push(event('discovered', 'ws://b', ['T']))
  expect(out).toEqual(['discovered S ws://a', 'changed T ws://b'])
})
