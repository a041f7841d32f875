import { describe, expect, test } from 'bun:test'
import { formatNumber, formatTable } from './table.js'

describe('formatNumber', () => {
  test('groups thousands and keeps fewer decimals the larger the number', () => {
    expect(formatNumber(1_234_567.89)).toBe('1,234,568')
    expect(formatNumber(123.456)).toBe('123')
    expect(formatNumber(12.345)).toBe('12.3')
    expect(formatNumber(1.2345)).toBe('1.23')
    expect(formatNumber(0)).toBe('0')
  })

  test('prints a dash for a missing figure', () => {
    expect(formatNumber(null)).toBe('-')
    expect(formatNumber(undefined)).toBe('-')
    expect(formatNumber(Number.NaN)).toBe('-')
  })
})

describe('formatTable', () => {
  test('pads columns, right-aligns numbers and left-aligns text', () => {
    const table = formatTable(
      ['system', 'req/s', 'ratio'],
      [
        ['limit-bun', '90,646', '-'],
        ['spider-mesh-bun', '7,654', '0.08×'],
      ],
    )
    expect(table.split('\n')).toEqual([
      'system            req/s  ratio',
      '---------------  ------  -----',
      'limit-bun        90,646      -',
      'spider-mesh-bun   7,654  0.08×',
    ])
  })

  test('keeps a figures column right-aligned when a scenario failed', () => {
    expect(formatTable(['req/s'], [['90,646'], ['FAILED']]).split('\n')).toEqual([
      ' req/s',
      '------',
      '90,646',
      'FAILED',
    ])
  })

  test('prints only the header and rule without rows', () => {
    expect(formatTable(['a', 'bb'], [])).toBe('a  bb\n-  --')
  })
})
