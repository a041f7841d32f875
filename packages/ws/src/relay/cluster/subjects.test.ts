import { describe, expect, test } from 'bun:test'
import { resolveClusterOptions, validPrefix } from '../cluster-options.js'
import { ClusterSubjects, nameOfToken, subjectToken } from './subjects.js'

describe('cluster subjects', () => {
  test('names with dots, wildcards, spaces and unicode become one safe token and come back', () => {
    for (const name of ['orders.eu', 'a*b', 'x>y', 'with space', 'é🕷️', '', '%', "~!()'", 'plain_Name-1']) {
      const token = subjectToken(name)
      expect(token).not.toMatch(/[.*>\s]/)
      expect(token.length).toBeGreaterThan(0)
      expect(nameOfToken(token)).toBe(name)
    }
  })

  test('distinct names never share a token', () => {
    const names = ['a.b', 'a%2Eb', 'a_b', '%', '', 'a*', 'a%2A']
    expect(new Set(names.map(subjectToken)).size).toBe(names.length)
  })

  test('a topic subject has exactly prefix tokens + 2', () => {
    const subjects = new ClusterSubjects('acme.mesh')
    expect(subjects.topic('news.today').split('.')).toHaveLength(4)
    expect(subjects.bounce('r1', 42)).toBe('acme.mesh.relay.r1.b.42')
    expect(subjects.responses('r1')).toBe('acme.mesh.relay.r1.resp')
  })

  test('a prefix with wildcards, spaces or empty tokens is refused with INVALID_OPTION', () => {
    for (const bad of ['', 'a..b', 'a.*', 'a >', '.a', 3]) {
      expect(() => validPrefix(bad)).toThrow(/cluster.prefix/)
    }
    expect(validPrefix('spider-mesh')).toBe('spider-mesh')
  })
})

describe('cluster options', () => {
  test('defaults and one or several NATS URLs', () => {
    expect(resolveClusterOptions({ nats: 'nats://127.0.0.1:4222' })).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      name: undefined,
      prefix: 'spider-mesh',
      preferLocal: false,
      natsOptions: {},
    })
    expect(
      resolveClusterOptions({ nats: ['nats://a:1', 'nats://b:2'], preferLocal: true }).servers,
    ).toHaveLength(2)
  })

  test('bad values name the option and quote the value', () => {
    expect(() => resolveClusterOptions({ nats: 'http://x' })).toThrow(
      /nats must be a nats:\/\/ URL.*http:\/\/x/,
    )
    expect(() => resolveClusterOptions({ nats: [] })).toThrow(/nats must be/)
    expect(() => resolveClusterOptions({ nats: 'nats://x:1', name: '' })).toThrow(/name must be/)
    expect(() => resolveClusterOptions({ nats: 'nats://x:1', preferLocal: 'yes' as never })).toThrow(
      /preferLocal/,
    )
    expect(() => resolveClusterOptions(null as never)).toThrow(/cluster: must be an object/)
  })
})
