import { expect, test } from 'bun:test'
import { perUnit } from './census.js'

test('perUnit with decimals rounds each figure before the floor applies (the breakdown census per call)', () => {
  expect(perUnit({ A: 46, B: 44, C: 1234 }, 100, 0.5, 1)).toEqual([
    ['C', 12.3],
    ['A', 0.5],
  ])
})
