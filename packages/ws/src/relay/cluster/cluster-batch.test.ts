import { expect, test } from 'bun:test'
import { decodeValue } from '@spider-mesh/core'
import { ClusterBatch } from './cluster-batch.js'

test('items queued in one tick leave as one message [header, items], with their tags', async () => {
  const sent: { value: unknown; tags: number[] }[] = []
  const batch = new ClusterBatch(
    ['relay-1'],
    () => 1 << 20,
    (message, tags) => sent.push({ value: decodeValue(message), tags }),
  )
  batch.add([1, 10, new Uint8Array([1, 2])], 2, 10)
  batch.add([2, 10], 0)
  batch.add([1, 11, new Uint8Array([3])], 1, 11)
  expect(sent).toEqual([])
  await Promise.resolve()
  expect(sent).toEqual([
    {
      value: [
        ['relay-1'],
        [
          [1, 10, new Uint8Array([1, 2])],
          [2, 10],
          [1, 11, new Uint8Array([3])],
        ],
      ],
      tags: [10, 11],
    },
  ])
})

test('a batch that would pass the byte limit is sent first, so no message grows past it', async () => {
  const sizes: number[] = []
  const batch = new ClusterBatch(
    ['r'],
    () => 1000,
    (message) => sizes.push(message.byteLength),
  )
  for (let i = 0; i < 5; i++) batch.add([1, i, new Uint8Array(300)], 300, i)
  await Promise.resolve()
  // 428 bytes counted per item against 1000: two per message.
  expect(sizes.length).toBe(3)
  for (const size of sizes) expect(size).toBeLessThanOrEqual(1000)
})
