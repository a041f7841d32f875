/**
 * Type tests: this file is only type-checked (`bun run typecheck`, part of CI), never run.
 * Each `Expect<Equal<…>>` fails to compile when the proxy infers a different type, and each
 * `@ts-expect-error` fails to compile when a wrong use stops being an error.
 */
import type { Observable } from 'rxjs'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import type { NodeRef } from '../protocol/packets.js'
import type { FanOutResult } from './fan-out.js'
import type { RemoteCall } from './remote-call.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Expect<T extends true> = T

interface Service {
  unary(name: string): Promise<string>
  syncValue(n: number): number
  stream(count: number): Observable<number>
  asyncStream(): Promise<Observable<{ id: string }>>
  generator(): AsyncGenerator<number>
  noArgs(): Promise<void>
  optional(a: number, b?: string): Promise<boolean>
  notAMethod: string
}

declare const mesh: SpiderMesh
const proxy = RemoteServiceLinker.link<Service>(mesh, { service: 'Service' })

export type Tests = [
  Expect<Equal<ReturnType<typeof proxy.unary>, RemoteCall<string>>>,
  Expect<Equal<ReturnType<typeof proxy.syncValue>, RemoteCall<number>>>,
  Expect<Equal<ReturnType<typeof proxy.stream>, RemoteCall<number>>>,
  Expect<Equal<ReturnType<typeof proxy.asyncStream>, RemoteCall<{ id: string }>>>,
  Expect<Equal<ReturnType<typeof proxy.generator>, RemoteCall<number>>>,
  Expect<Equal<Parameters<typeof proxy.optional>, [a: number, b?: string]>>,
  Expect<Equal<typeof proxy.nodes, NodeRef[]>>,
  // Fan-out keeps the method's arguments and yields one result per provider.
  Expect<Equal<ReturnType<typeof fan.unary>, Observable<FanOutResult<string>>>>,
  Expect<Equal<Parameters<typeof fan.optional>, [a: number, b?: string]>>,
]

const fan = RemoteServiceLinker.all(proxy)

// Unary methods are Promises of the value; stream methods are Observables of the items.
export const asPromise: Promise<string> = proxy.unary('x')
export const asObservable: Observable<number> = proxy.stream(3)
export const firstItem: Promise<{ id: string }> = proxy.asyncStream()
export const awaited = async (): Promise<string> => await proxy.unary('x')
// An async generator's items, pulled by `for await`.
export const pulled = async (): Promise<number[]> => {
  const items: number[] = []
  for await (const item of proxy.generator()) items.push(item)
  return items
}

// @ts-expect-error a unary string method is not a Promise of a number
export const wrongValue: Promise<number> = proxy.unary('x')
// @ts-expect-error a stream is not an Observable of Observables
export const nested: Observable<Observable<number>> = proxy.stream(1)
// @ts-expect-error arguments keep their types
proxy.unary(1)
// @ts-expect-error and their count
proxy.noArgs(1)
// @ts-expect-error non-function members are not on the proxy
proxy.notAMethod
// @ts-expect-error link options are checked
RemoteServiceLinker.link<Service>(mesh, { service: 'S', timeout: '5s' })
