import { describe, expect, test } from 'bun:test'
import { keyToken, presenceBucket, presenceKey, relayFilter, topicFilter } from './presence-keys.js'

const KEY = /^[-/_=.a-zA-Z0-9]+$/

describe('presence keys', () => {
  test('any topic and node id make a valid KV key of three tokens, distinct per name', () => {
    const names = ['chat.room-1', 'a b', 'é🕷️/x', '*', '>', '.', 'a.b.c', '%41']
    const keys = new Set<string>()
    for (const topic of names) {
      for (const node of names) {
        const key = presenceKey(topic, node, 'r1abc')
        expect(key).toMatch(KEY)
        expect(key.split('.')).toHaveLength(3)
        keys.add(key)
      }
    }
    expect(keys.size).toBe(names.length ** 2)
    expect(Buffer.from(keyToken('é🕷️/x'), 'base64url').toString('utf8')).toBe('é🕷️/x')
  })

  test('filters select a topic and a relay; bucket names keep only allowed characters', () => {
    expect(topicFilter('chat.1')).toBe(`${keyToken('chat.1')}.>`)
    expect(relayFilter('r1')).toBe('*.*.r1')
    expect(presenceBucket('spider.mesh')).toBe('spider_mesh-presence')
    expect(presenceBucket('spider-mesh_1')).toBe('spider-mesh_1-presence')
  })
})
