import { describe, expect, test } from 'bun:test'
import { turnOrder, turnsFor } from './unary.js'

describe('unary turns', () => {
  test('half-second slices: 6 in a quick run, 20 in a full one, at least 1', () => {
    expect(turnsFor(3000)).toBe(6)
    expect(turnsFor(10_000)).toBe(20)
    expect(turnsFor(100)).toBe(1)
  })

  test('every caller gets every turn, and the order reverses each round', () => {
    expect(turnOrder(2, 4)).toEqual([0, 1, 1, 0, 0, 1, 1, 0])
    const order = turnOrder(4, 6)
    for (let k = 0; k < 4; k++) expect(order.filter((w) => w === k).length).toBe(6)
    const firsts = Array.from({ length: 6 }, (_, r) => order[r * 4])
    expect(firsts).toEqual([0, 3, 0, 3, 0, 3])
  })
})
