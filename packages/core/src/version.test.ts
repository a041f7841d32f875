import { expect, test } from 'bun:test'
import pkg from '../package.json' with { type: 'json' }
import { VERSION } from './version.js'

test('VERSION matches package.json', () => {
  expect(VERSION).toBe(pkg.version)
})
