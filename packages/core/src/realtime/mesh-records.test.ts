import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { firstValueFrom, from, type Observable, take, toArray } from 'rxjs'
import { Microservice } from '../api/microservice.js'
import { silentLogger } from '../mesh/logger.js'
import { SpiderMesh } from '../mesh/spider-mesh.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'

/**
 * A stand-in for the relay's `$records` (a node may serve it in process): each watch call
 * replays the next scripted list, so a test can send a gap or a patch that does not apply.
 */
@Microservice({ name: '$records' })
class ScriptedRecords {
  watches = 0
  constructor(readonly scripts: unknown[][]) {}
  watch(_id: string, _mode: string): Observable<unknown> {
    return from(this.scripts[this.watches++] ?? [])
  }
  write(id: string, value: unknown, expected: number | null) {
    return { version: 1, echo: [id, value, expected] }
  }
}

let bus: InProcessTransporter
let relay: SpiderMesh
let node: SpiderMesh

beforeEach(() => {
  bus = new InProcessTransporter()
  relay = new SpiderMesh({ nodeId: 'relay', logger: silentLogger }).registerTransporter(bus)
  node = new SpiderMesh({ nodeId: 'node', logger: silentLogger }).registerTransporter(bus)
})
afterEach(async () => {
  await Promise.all([relay.close(), node.close()])
})

describe('mesh.records', () => {
  test('a patch watch applies patches to its copy and resubscribes, full value first, after a gap', async () => {
    const records = new ScriptedRecords([
      [
        { version: 1, value: { n: 1 } },
        { version: 2, patch: [{ op: 'replace', path: '/n', value: 2 }] },
        { version: 4, patch: [{ op: 'replace', path: '/n', value: 4 }] }, // 3 was missed
      ],
      [
        { version: 4, value: { n: 4, x: true } },
        { version: 5, patch: [{ op: 'remove', path: '/x' }] },
      ],
    ])
    await relay.provide(records)
    const updates = await firstValueFrom(node.records.watch('r', { mode: 'patch' }).pipe(take(4), toArray()))
    expect(updates).toEqual([
      { version: 1, value: { n: 1 } },
      { version: 2, value: { n: 2 }, patch: [{ op: 'replace', path: '/n', value: 2 }] },
      { version: 4, value: { n: 4, x: true } },
      { version: 5, value: { n: 4 }, patch: [{ op: 'remove', path: '/x' }] },
    ])
    expect(records.watches).toBe(2)
  })

  test('a patch that does not apply resyncs too, and a repeated full value is not emitted twice', async () => {
    const records = new ScriptedRecords([
      [
        { version: 1, value: { n: 1 } },
        { version: 2, patch: [{ op: 'remove', path: '/missing' }] },
      ],
      [
        { version: 1, value: { n: 1 } },
        { version: 2, value: { n: 2 } },
      ],
    ])
    await relay.provide(records)
    const updates = await firstValueFrom(node.records.watch('r', { mode: 'patch' }).pipe(take(2), toArray()))
    expect(updates).toEqual([
      { version: 1, value: { n: 1 } },
      { version: 2, value: { n: 2 } },
    ])
  })

  test('write sends the expected version (null when absent)', async () => {
    await relay.provide(new ScriptedRecords([]))
    expect(await node.records.write('r', { a: 1 }, { expectedVersion: 0 })).toEqual({
      version: 1,
      echo: ['r', { a: 1 }, 0],
    } as never)
    expect(await node.records.write('r', 2)).toEqual({ version: 1, echo: ['r', 2, null] } as never)
  })
})
