import { describe, expect, test } from 'bun:test'
import type { BenchRow } from './results.js'
import { checkThresholds, parseThresholds, type Thresholds } from './thresholds.js'

const unary = (system: string, inflight: number, rps: number, p99: number, extra = {}): BenchRow => ({
  scenario: 'unary',
  system,
  inflight,
  rps,
  p50_us: p99 / 2,
  p99_us: p99,
  ...extra,
})

const rows = [
  unary('limit-bun', 1, 12_000, 200, { cpu_relay_us: 30 }),
  unary('spider-mesh-bun', 1, 9_000, 500, { cpu_relay_us: 45 }),
  unary('limit-bun', 64, 100_000, 1000),
  unary('spider-mesh-bun', 64, 120_000, 1500),
  unary('limit-nodejs', 64, 40_000, 3000),
  unary('spider-mesh-nodejs', 64, 30_000, 4000),
]

describe('checkThresholds', () => {
  test('passes a ratio within its bounds and fails one outside, naming both figures', () => {
    const thresholds: Thresholds = {
      ratios: [
        { system: 'spider-mesh-bun', inflight: 64, figure: 'rps', min: 1.1 },
        { system: 'spider-mesh-bun', inflight: 1, figure: 'p99_us', max: 2, why: 'serial tail' },
      ],
    }
    const [rps, p99] = checkThresholds(rows, thresholds)
    expect(rps).toMatchObject({ ratio: 1.2, ok: true })
    expect(rps!.line).toBe('spider-mesh-bun / limit-bun rps @64: 1.2× (≥ 1.1×) ok')
    expect(p99).toMatchObject({ ratio: 2.5, ok: false })
    expect(p99!.line).toBe('spider-mesh-bun / limit-bun p99_us @1: 2.5× (≤ 2×) FAILED — serial tail')
  })

  test('compares a Node.js system with the Node.js limit, and any field such as relay CPU', () => {
    const [node, cpu] = checkThresholds(rows, {
      ratios: [
        { system: 'spider-mesh-nodejs', inflight: 64, figure: 'rps', min: 0.8 },
        { system: 'spider-mesh-bun', inflight: 1, figure: 'cpu_relay_us', max: 1.5 },
      ],
    })
    expect(node).toMatchObject({ ratio: 0.75, ok: false })
    expect(cpu).toMatchObject({ ratio: 1.5, ok: true })
  })

  test('a bound exactly at the ratio passes (min and max are inclusive)', () => {
    const [at] = checkThresholds(rows, {
      ratios: [{ system: 'spider-mesh-bun', inflight: 64, figure: 'rps', min: 1.2, max: 1.2 }],
    })
    expect(at!.ok).toBe(true)
  })

  test('fails a threshold whose rows were not measured instead of passing it silently', () => {
    const [missingSystem, missingFigure, failedRow] = checkThresholds(
      [...rows, { ...unary('spider-mesh-node', 64, Number.NaN, 0), error: 'relay crashed' }],
      {
        ratios: [
          { system: 'socketio', inflight: 64, figure: 'rps', min: 0.1 },
          { system: 'spider-mesh-bun', inflight: 64, figure: 'cpu_relay_us', max: 2 },
          { system: 'spider-mesh-node', inflight: 64, figure: 'rps', min: 0.5 },
        ],
      },
    )
    expect(missingSystem).toMatchObject({ ratio: null, ok: false })
    expect(missingSystem!.line).toBe('socketio / limit-bun rps @64: not measured (socketio)')
    expect(missingFigure!.line).toContain('not measured (the figure cpu_relay_us)')
    expect(failedRow!.ok).toBe(false)
  })
})

describe('parseThresholds', () => {
  test('reads the file the repo keeps', async () => {
    const text = await Bun.file(new URL('thresholds.json', import.meta.url)).text()
    expect(parseThresholds(text).ratios.length).toBeGreaterThan(0)
  })

  test('refuses an entry without a bound, naming it', () => {
    const text = JSON.stringify({ ratios: [{ system: 'spider-mesh-bun', inflight: 1, figure: 'rps' }] })
    expect(() => parseThresholds(text)).toThrow('ratios[0] (spider-mesh-bun rps) needs "min" or "max"')
  })
})
