import { expect, test } from 'bun:test'
import { firstValueFrom } from 'rxjs'
import { silentLogger } from '../mesh/logger.js'
import { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import type { Transporter } from '../transport/transporter.js'

test('listen with history fails at once, saying a relay is needed, on a mesh without a relay', async () => {
  const mesh = new SpiderMesh({ logger: silentLogger })
  const alone = await firstValueFrom(mesh.listen('t', { history: 1 })).then(
    () => undefined,
    (e: MeshError) => e,
  )
  expect(alone?.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  expect(alone?.message).toContain('only a relay keeps topic history')
  mesh.registerTransporter(new InProcessTransporter())
  const inProcess = await firstValueFrom(mesh.listen('t', { history: 1 })).then(
    () => undefined,
    (e: MeshError) => e,
  )
  expect(inProcess?.message).toContain('only a relay keeps topic history')
  await mesh.close()
})

test('a history listener completes, like a plain one, when its mesh closes', async () => {
  const mesh = new SpiderMesh({ logger: silentLogger })
  // A relay-like link (it can say whether it is reachable) that takes the call and never answers.
  const relayLike: Transporter = {
    attach: () => ({
      send: async () => ({ cancel: () => {} }),
      unreachable: () => undefined,
      detach: () => {},
    }),
  }
  mesh.registerTransporter(relayLike)
  let completed = false
  let failed: unknown
  mesh
    .listen('t', { history: 1 })
    .subscribe({ complete: () => (completed = true), error: (e) => (failed = e) })
  await mesh.close()
  expect(failed).toBeUndefined()
  expect(completed).toBe(true)
})
