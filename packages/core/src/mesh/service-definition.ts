import 'reflect-metadata'
import type { ServiceInfo } from '../protocol/packets.js'
import { maxArity } from './max-arity.js'

/** A remotely callable method: the function and how many arguments it accepts. */
export interface ServiceMethod {
  fn: (...args: unknown[]) => unknown
  maxArgs: number
}

/** What `@Microservice` records about a class. */
export interface ServiceDefinition {
  name: string
  methods: ReadonlyMap<string, ServiceMethod>
  /** From `@Microservice({ version })`. */
  version?: string
  /** What the node announces about this service (methods, version, idempotent methods). */
  info: ServiceInfo
}

/** Functions marked with `@Idempotent()`: marking the function works for both decorator modes. */
const IDEMPOTENT = new WeakSet<Function>()

/** Marks a method's function as safe to run twice (see `@Idempotent()`). */
export function markIdempotent(fn: Function): void {
  IDEMPOTENT.add(fn)
}

/**
 * Lifecycle hooks a service may define. They are called by the mesh, never remotely:
 * `warmUp()` is awaited before the service is announced, so no call reaches a cold instance.
 */
export const LIFECYCLE_HOOKS: ReadonlySet<string> = new Set(['warmUp'])

const DEFINITION = 'spider-mesh:service'

/** Reads the definition recorded for an instance's class, if any. */
export function serviceDefinitionOf(instance: object): ServiceDefinition | undefined {
  return Reflect.getMetadata(DEFINITION, instance.constructor) as ServiceDefinition | undefined
}

/** Records a class as a service called `name` (at `version`, when given). */
export function defineService(target: Function, name: string, version?: string): void {
  const methods = collectMethods(target.prototype)
  const info: ServiceInfo = { methods: [...methods.keys()] }
  if (version !== undefined) info.version = version
  const idempotent = [...methods].filter(([, m]) => IDEMPOTENT.has(m.fn)).map(([method]) => method)
  if (idempotent.length > 0) info.idempotent = idempotent
  const definition: ServiceDefinition = { name, methods, info }
  if (version !== undefined) definition.version = version
  Reflect.defineMetadata(DEFINITION, definition, target)
}

/**
 * Collects the methods callers may reach: functions declared on the class and its user-defined
 * bases, never `constructor`, `_`-prefixed names, lifecycle hooks, accessors or anything from
 * `Object.prototype` (`#private` members are not on the prototype at all). Computed once per class
 * so a call is one map lookup.
 */
function collectMethods(prototype: object): Map<string, ServiceMethod> {
  const methods = new Map<string, ServiceMethod>()
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (methods.has(name) || name === 'constructor' || name.startsWith('_') || LIFECYCLE_HOOKS.has(name)) {
        continue
      }
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)
      if (typeof descriptor?.value !== 'function') continue
      methods.set(name, { fn: descriptor.value, maxArgs: maxArity(descriptor.value) })
    }
  }
  return methods
}
