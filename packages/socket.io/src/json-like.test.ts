import { describe, expect, test } from 'bun:test'
import { jsonLike } from './json-like.js'

describe('jsonLike', () => {
  test('drops functions like JSON and keeps what the mesh codec carries', () => {
    const when = new Date(0)
    const bytes = new Uint8Array([1, 2])
    expect(jsonLike({ a: [1, () => 0, { f() {}, when, bytes }], u: undefined })).toEqual({
      a: [1, null, { when, bytes }],
      u: undefined,
    })
  })
})
