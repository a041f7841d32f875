import { describe, expect, test } from 'bun:test'
import { BehaviorSubject } from 'rxjs'
import type { NodeRef } from '../protocol/packets.js'
import type { ServiceDirectory } from '../transport/transporter.js'
import { MergedDirectory } from './merged-directory.js'

function directory(initial: NodeRef[]): ServiceDirectory & { set(nodes: NodeRef[]): void } {
  const nodes = new BehaviorSubject(initial)
  return {
    watchService: () => nodes.asObservable(),
    listNodes: () => nodes.value,
    set: (next) => nodes.next(next),
  }
}

describe('MergedDirectory', () => {
  test('merges nodes seen through several directories into one entry each', () => {
    const merged = new MergedDirectory()
    merged.add(directory([{ node_id: 'a', services: ['S'] }]))
    merged.add(
      directory([
        { node_id: 'a', services: ['S', 'T'] },
        { node_id: 'b', services: ['S'] },
      ]),
    )
    expect(merged.listNodes('S')).toEqual([
      { node_id: 'a', services: ['S', 'T'] },
      { node_id: 'b', services: ['S'] },
    ])
  })
  test('watchService emits at once, on real changes only, and picks up directories added later', () => {
    const merged = new MergedDirectory()
    const first = directory([])
    merged.add(first)
    const seen: string[][] = []
    const sub = merged.watchService('S').subscribe((nodes) => seen.push(nodes.map((n) => n.node_id)))
    first.set([{ node_id: 'a', services: ['S'] }])
    first.set([{ node_id: 'a', services: ['S'] }])
    merged.add(directory([{ node_id: 'b', services: ['S'] }]))
    sub.unsubscribe()
    expect(seen).toEqual([[], ['a'], ['a', 'b']])
  })
  test('an empty merge lists nothing', () => {
    expect(new MergedDirectory().listNodes('S')).toEqual([])
  })
})
