import { expect, test } from 'bun:test'
import { decodeFrames, type Frame } from '@spider-mesh/core'
import { NodeDirectory, type RemoteListing } from './node-directory.js'
import type { RelayConnection } from './relay-connection.js'
import { RelayPeer } from './relay-peer.js'

/** A peer whose outgoing frames are decoded into `frames` (flushed by hand, no socket). */
function peer(seq: number, nodeId: string, services: string[] = []) {
  const frames: Frame[] = []
  const connection = {
    send: (bytes: Uint8Array) => decodeFrames(bytes, (f) => frames.push(f)),
    bufferedAmount: () => 0,
    close: () => {},
  } as unknown as RelayConnection
  const p = new RelayPeer(seq, connection, true, Date.now())
  p.nodeId = nodeId
  p.services = services
  return { p, frames }
}

function remote(nodeId: string, services: string[], relayName: string): RemoteListing {
  return {
    nodeId,
    services,
    meta: {},
    relayId: `id-${relayName}`,
    relayName,
    label: `node "${nodeId}" (on relay "${relayName}")`,
    remote: true,
    lastSeen: 0,
    outgoing: new Map(),
    incoming: new Set(),
    access: null,
    sendFrame: () => {},
  }
}

test('a node reached here and through another relay is one entry: no leave when one route goes', () => {
  const watcher = peer(1, 'watcher')
  const local = peer(2, 'n1', ['S'])
  const peers = [watcher.p, local.p]
  const directory = new NodeDirectory(() => peers)
  const viaB = remote('n1', ['S'], 'B')
  directory.listLocal(local.p)
  directory.upsertRemote(viaB)
  expect(directory.endpoint('n1')).toBe(local.p)
  directory.unlistLocal(local.p)
  // Now routed through relay B, with the same services: nothing to tell.
  expect(directory.endpoint('n1')).toBe(viaB)
  expect(directory.next('S', false)).toBe(viaB)
  directory.removeRemote(viaB)
  expect(directory.endpoint('n1')).toBeUndefined()
  watcher.p.flush()
  expect(watcher.frames.map((f) => f[0])).toEqual([3, 4]) // one Node, one Offline
  expect(local.frames).toEqual([]) // never told about itself
  expect(directory.size).toBe(0)
  expect(directory.serviceCount).toBe(0)
})

test('preferLocal picks a provider on this relay while there is one', () => {
  const local = peer(1, 'here', ['S'])
  const directory = new NodeDirectory(() => [local.p])
  directory.upsertRemote(remote('there', ['S'], 'B'))
  directory.listLocal(local.p)
  for (let i = 0; i < 4; i++) expect(directory.next('S', true)).toBe(local.p)
  const picks = new Set([directory.next('S', false)?.nodeId, directory.next('S', false)?.nodeId])
  expect(picks).toEqual(new Set(['here', 'there']))
})

test('a remote change of services moves the node in the round-robin and tells once', () => {
  const watcher = peer(1, 'watcher')
  const directory = new NodeDirectory(() => [watcher.p])
  const listing = remote('n2', ['S'], 'B')
  directory.upsertRemote(listing)
  listing.services = ['T']
  directory.upsertRemote(listing, ['S'])
  expect(directory.next('S', false)).toBeUndefined()
  expect(directory.next('T', false)).toBe(listing)
  expect(directory.list('watcher')).toEqual([['n2', ['T']]])
  watcher.p.flush()
  expect(watcher.frames).toEqual([
    [3, 'n2', ['S']],
    [3, 'n2', ['T']],
  ])
})

test('a connection that wants every node keeps no per-node record, and still hears every leave', () => {
  const watcher = peer(1, 'watcher')
  const local = peer(2, 'n3', ['S'])
  const directory = new NodeDirectory(() => [watcher.p, local.p])
  directory.listLocal(local.p)
  expect(watcher.p.told.size).toBe(0)
  directory.unlistLocal(local.p)
  watcher.p.flush()
  expect(watcher.frames.map((f) => f[0])).toEqual([3, 4])
})
