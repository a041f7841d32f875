import 'reflect-metadata'
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

/** Records a class as a service called `name`. */
export function defineService(target: Function, name: string): void {
  Reflect.defineMetadata(DEFINITION, { name, methods: collectMethods(target.prototype) }, target)
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
