import { describe, expect, test } from 'bun:test'
import { bucketName, keyOf } from './kv-record-store.js'
import { expectedVersionOf, jsonSafetyProblem, patchOps, recordId, watchMode } from './record-arguments.js'

const codeOf = (run: () => unknown) => {
  try {
    run()
    return 'no error'
  } catch (err) {
    return (err as { code?: string }).code
  }
}

describe('record arguments', () => {
  test('JSON values pass; dates, binary, non-finite numbers and class instances are named', () => {
    expect(jsonSafetyProblem({ a: [1, 'x', true, null, { b: 2.5 }] })).toBeUndefined()
    expect(jsonSafetyProblem({ a: [1, Number.NaN] })).toContain('the value.a[1] a non-finite number')
    expect(jsonSafetyProblem({ at: new Date() })).toContain('the value.at a Date')
    expect(jsonSafetyProblem(new Uint8Array(1))).toContain('binary')
    expect(jsonSafetyProblem(new Map())).toContain('object')
    expect(jsonSafetyProblem(undefined)).toContain('undefined')
  })

  test('ids, versions, patches and modes are checked with INVALID_ARGUMENTS', () => {
    expect(recordId('doc', 'get')).toBe('doc')
    expect(codeOf(() => recordId('', 'get'))).toBe('INVALID_ARGUMENTS')
    expect(codeOf(() => recordId('x'.repeat(257), 'get'))).toBe('INVALID_ARGUMENTS')
    expect(codeOf(() => recordId(7, 'get'))).toBe('INVALID_ARGUMENTS')
    expect(expectedVersionOf(null, 'doc')).toBeUndefined()
    expect(expectedVersionOf(0, 'doc')).toBe(0)
    expect(codeOf(() => expectedVersionOf(1.5, 'doc'))).toBe('INVALID_ARGUMENTS')
    expect(codeOf(() => patchOps([{ op: 'add', path: '/a', value: new Date() }], 'doc'))).toBe(
      'INVALID_ARGUMENTS',
    )
    expect(codeOf(() => patchOps('nope', 'doc'))).toBe('INVALID_ARGUMENTS')
    expect(watchMode(undefined)).toBe('full')
    expect(codeOf(() => watchMode('diff'))).toBe('INVALID_ARGUMENTS')
  })

  test('any id becomes a valid KV key, and any cluster prefix a valid bucket name', () => {
    for (const id of ['doc', 'a.b.*.>', 'ünï côdé / 📄', ' ', '='.repeat(256)])
      expect(keyOf(id)).toMatch(/^[-/_=.a-zA-Z0-9]+$/)
    expect(keyOf('a.b')).not.toBe(keyOf('a_b'))
    expect(bucketName('spider-mesh')).toBe('spider-mesh-records')
    expect(bucketName('acme.prod')).toMatch(/^[A-Za-z0-9_-]+$/)
  })
})
