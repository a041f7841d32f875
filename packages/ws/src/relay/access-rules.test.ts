import { describe, expect, test } from 'bun:test'
import { ConnectionAccess } from './access-rules.js'

describe('access rules', () => {
  test('exact names, * and patterns; a missing list allows nothing', () => {
    const access = new ConnectionAccess({ provide: ['Billing', 'orders-*'], publish: ['*'] })
    expect(access.provide.allows('Billing')).toBe(true)
    expect(access.provide.allows('orders-eu')).toBe(true)
    expect(access.provide.allows('Billingx')).toBe(false)
    expect(access.publish.allows('anything.at.all')).toBe(true)
    expect(access.subscribe.allows('news')).toBe(false)
  })
  test('call patterns: Service.method, Service.*, and a bare service name meaning all its methods', () => {
    const access = new ConnectionAccess({ call: ['Billing', 'Users.get*', 'Audit.log'] })
    expect(access.canCall('Billing', 'charge')).toBe(true)
    expect(access.canCall('Users', 'getById')).toBe(true)
    expect(access.canCall('Users', 'delete')).toBe(false)
    expect(access.canCall('Audit', 'log')).toBe(true)
    expect(access.canCall('Audit', 'purge')).toBe(false)
    expect(access.canCall('BillingAdmin', 'x')).toBe(false)
  })
  test('regex characters in names are literal', () => {
    const access = new ConnectionAccess({ subscribe: ['a.b*'] })
    expect(access.subscribe.allows('a.bc')).toBe(true)
    expect(access.subscribe.allows('aXbc')).toBe(false)
  })
  test('presence defaults to the subscribe list; read and write are record id lists that allow nothing when missing', () => {
    const subscriber = new ConnectionAccess({ subscribe: ['chat.*'] })
    expect(subscriber.presence.allows('chat.room1')).toBe(true)
    expect(subscriber.presence.allows('admin')).toBe(false)
    expect(subscriber.read.allows('doc-1')).toBe(false)
    const own = new ConnectionAccess({
      subscribe: ['*'],
      presence: ['lobby'],
      read: ['doc-*'],
      write: ['doc-own'],
    })
    expect(own.presence.allows('chat.room1')).toBe(false)
    expect(own.presence.allows('lobby')).toBe(true)
    expect(own.read.allows('doc-7')).toBe(true)
    expect(own.write.allows('doc-7')).toBe(false)
    expect(own.write.allows('doc-own')).toBe(true)
  })
})
