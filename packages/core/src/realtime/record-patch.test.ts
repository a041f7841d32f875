import { describe, expect, test } from 'bun:test'
import { applyRecordPatch, createRecordPatch, isPatchShape } from './record-patch.js'

describe('record patches', () => {
  test('a created patch applied to a copy rebuilds the target, whole-document changes included', () => {
    const pairs: [unknown, unknown][] = [
      [
        { a: [1, 2, 3], b: { c: 1 } },
        { a: [2, 3, 4], b: { d: 2 } },
      ],
      [{ a: 1 }, [1, 2]],
      [null, { a: 1 }],
      [1, 'text'],
    ]
    for (const [from, to] of pairs) {
      const before = structuredClone(from)
      expect(applyRecordPatch(from, createRecordPatch(from, to))).toEqual({ value: to })
      expect(from).toEqual(before as never)
    }
  })

  test('a failing operation names itself, and the value is left as it was', () => {
    const value = { n: 1 }
    const result = applyRecordPatch(value, [
      { op: 'replace', path: '/n', value: 2 },
      { op: 'test', path: '/n', value: 3 },
    ])
    expect('error' in result && result.error).toContain('operation 1 (test /n)')
    expect(value).toEqual({ n: 1 })
    expect('error' in applyRecordPatch(value, [{ op: 'remove', path: '/missing' }])).toBe(true)
  })

  test('move and copy read their `from` under the same root', () => {
    expect(applyRecordPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/b' }])).toEqual({ value: { b: 1 } })
    expect(applyRecordPatch({ a: [1] }, [{ op: 'copy', from: '/a', path: '/c' }])).toEqual({
      value: { a: [1], c: [1] },
    })
  })

  test('only arrays of { op, path } objects are patches', () => {
    expect(isPatchShape([{ op: 'add', path: '/a', value: 1 }])).toBe(true)
    expect(isPatchShape([{ op: 'add' }])).toBe(false)
    expect(isPatchShape({ op: 'add', path: '/a' })).toBe(false)
    expect(isPatchShape([{ op: 'move', path: '/a', from: 1 }])).toBe(false)
  })
})
