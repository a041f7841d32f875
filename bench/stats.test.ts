import { describe, expect, test } from 'bun:test'
import { LatencyRecorder, median, percentile } from './stats.js'

describe('percentile', () => {
  const oneToHundred = Float64Array.from({ length: 100 }, (_, i) => i + 1)

  test('uses the nearest rank: the smallest value with at least p% at or below it', () => {
    expect(percentile(oneToHundred, 50)).toBe(50)
    expect(percentile(oneToHundred, 99)).toBe(99)
    expect(percentile(oneToHundred, 99.5)).toBe(100)
    expect(percentile(oneToHundred, 100)).toBe(100)
    expect(percentile([10, 20, 30], 50)).toBe(20)
    expect(percentile([10, 20, 30, 40], 50)).toBe(20)
  })

  test('is the minimum at p = 0 and the only value of a single sample', () => {
    expect(percentile(oneToHundred, 0)).toBe(1)
    expect(percentile([7], 50)).toBe(7)
    expect(percentile([7], 99)).toBe(7)
  })

  test('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN()
  })
})

describe('LatencyRecorder', () => {
  test('sorts numerically, not as strings, before reading p50, p99 and max', () => {
    const recorder = new LatencyRecorder(1000)
    // 1000 samples: 1..990 then ten slow ones, recorded out of order.
    for (let i = 990; i >= 1; i--) recorder.record(i)
    for (let i = 0; i < 10; i++) recorder.record(10_000 + i)
    const summary = recorder.summary()
    expect(summary).toEqual({ count: 1000, p50_us: 500, p99_us: 990, max_us: 10_009 })
  })

  test('drops samples past its capacity and counts them', () => {
    const recorder = new LatencyRecorder(3)
    for (const v of [5, 1, 3, 100]) recorder.record(v)
    expect(recorder.count).toBe(3)
    expect(recorder.dropped).toBe(1)
    expect(recorder.summary().max_us).toBe(5)
  })

  test('rounds to 0.1 µs', () => {
    const recorder = new LatencyRecorder(1)
    recorder.record(12.3456)
    expect(recorder.summary().p50_us).toBe(12.3)
  })
})

describe('median', () => {
  test('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})
