import { markIdempotent } from '../mesh/service-definition.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'

/**
 * Marks a service method as idempotent: running it twice has the effect of running it once. The
 * provider announces it, and callers with `retry` then also retry calls of it that reached the
 * provider and were lost with it (by default only calls that never reached one are retried).
 * Works with legacy (`experimentalDecorators`) and standard decorators; put it on methods of a
 * `@Microservice` class.
 *
 * @example
 * import { Idempotent, Microservice } from '@spider-mesh/core'
 *
 * @Microservice()
 * class StockService {
 *   @Idempotent()
 *   async level(sku: string) {
 *     return 3
 *   }
 * }
 */
export function Idempotent() {
  return (target: unknown, context?: unknown, descriptor?: PropertyDescriptor): void => {
    // Standard decorators pass the method itself; legacy ones its descriptor as third argument.
    const fn = typeof target === 'function' && isMethodContext(context) ? target : descriptor?.value
    if (typeof fn !== 'function') {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `@Idempotent() goes on a method, not on ${describe(context)}`,
      )
    }
    markIdempotent(fn)
  }
}

function isMethodContext(context: unknown): boolean {
  return context !== null && typeof context === 'object' && (context as { kind?: unknown }).kind === 'method'
}

function describe(context: unknown): string {
  if (context !== null && typeof context === 'object' && 'kind' in context)
    return `a ${String((context as { kind: unknown }).kind)}`
  return typeof context === 'string' ? `the property "${context}"` : 'this target'
}
