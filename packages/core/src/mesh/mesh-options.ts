import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { DEFAULT_MAX_STREAM_BUFFER_BYTES } from './inbound-dispatch.js'
import type { CallerInterceptor, ProviderInterceptor } from './interceptors.js'
import { consoleLogger, type Logger } from './logger.js'
import { randomNodeId } from './node-id.js'

/** Options of `SpiderMesh`. */
export interface SpiderMeshOptions {
  /** This node's id on the mesh. Default: a random `node-<uuid>`. */
  nodeId?: string
  /** Where the mesh reports what it notices. Default: warnings and errors to the console. */
  logger?: Logger
  /**
   * Flow control of the streams this node serves: bytes (encoded) an Observable may emit past
   * what its caller has taken before the stream fails with STREAM_OVERFLOW (an Observable cannot
   * pause; return an AsyncIterable to be pulled instead). Default 8 MiB.
   */
  maxStreamBufferBytes?: number
  /** Interceptors of the calls this node serves (more with `mesh.intercept()`). */
  intercept?: ProviderInterceptor[]
  /** Interceptors of every call this node sends (more with `mesh.interceptCalls()`). */
  interceptCalls?: CallerInterceptor[]
  /**
   * What this node tells about itself (string values: `{ name: 'alice', device: 'phone' }`):
   * announced to its relays, shown in presence lists, `spider-mesh ls` and `/directory`. A
   * transporter's own `meta` option adds to it. At most 32 entries.
   */
  meta?: Record<string, string>
}

/** Options of `mesh.close()`. */
export interface CloseOptions {
  /** How long calls this node is serving may take to finish before they are stopped, in ms. Default 10000; 0 = stop at once. */
  drainTimeoutMs?: number
}

/** SpiderMeshOptions checked, with defaults. */
export interface MeshSettings {
  nodeId: string
  logger: Logger
  maxStreamBufferBytes: number
  /** Live lists: `mesh.intercept()` and `interceptCalls()` add to them. */
  providerInterceptors: ProviderInterceptor[]
  callerInterceptors: CallerInterceptor[]
  meta: Readonly<Record<string, string>>
}

/** Largest number of `meta` entries a node announces. */
export const MAX_META_ENTRIES = 32

/** Checks SpiderMesh options; throws INVALID_OPTION naming the bad one. */
export function meshSettings(options: SpiderMeshOptions): MeshSettings {
  if (options.nodeId !== undefined && (typeof options.nodeId !== 'string' || options.nodeId === '')) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `nodeId must be a non-empty string, got ${JSON.stringify(options.nodeId)}`,
    )
  }
  const maxStreamBufferBytes = options.maxStreamBufferBytes ?? DEFAULT_MAX_STREAM_BUFFER_BYTES
  if (!Number.isInteger(maxStreamBufferBytes) || maxStreamBufferBytes < 0) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `maxStreamBufferBytes must be an integer >= 0, got ${JSON.stringify(options.maxStreamBufferBytes)}`,
    )
  }
  const providerInterceptors = (options.intercept ?? []).map((i) => checkedInterceptor(i, 'intercept'))
  const callerInterceptors = (options.interceptCalls ?? []).map((i) =>
    checkedInterceptor(i, 'interceptCalls'),
  )
  return {
    meta: checkedMeta(options.meta),
    nodeId: options.nodeId ?? randomNodeId(),
    logger: options.logger ?? consoleLogger,
    maxStreamBufferBytes,
    providerInterceptors,
    callerInterceptors,
  }
}

/** `meta` as given, checked: an object of at most MAX_META_ENTRIES string values. */
function checkedMeta(meta: unknown): Readonly<Record<string, string>> {
  if (meta === undefined) return {}
  const entries =
    meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? Object.entries(meta) : undefined
  if (!entries || entries.length > MAX_META_ENTRIES || entries.some(([, v]) => typeof v !== 'string')) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `meta must be an object of at most ${MAX_META_ENTRIES} string values, got ${describe(meta)}`,
    )
  }
  return Object.freeze({ ...(meta as Record<string, string>) })
}

/** An interceptor: an object whose hooks are functions. */
export function checkedInterceptor<T extends object>(interceptor: T, what: string): T {
  const ok =
    interceptor !== null &&
    typeof interceptor === 'object' &&
    Object.values(interceptor).every((hook) => typeof hook === 'function')
  if (!ok) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `${what}() needs an object of hook functions, got ${describe(interceptor)}`,
    )
  }
  return interceptor
}

/** The drain timeout of `close()`, checked. */
export function drainTimeout(options: CloseOptions): number {
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000
  if (typeof drainTimeoutMs !== 'number' || !(drainTimeoutMs >= 0)) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `drainTimeoutMs must be a number of ms >= 0, got ${JSON.stringify(drainTimeoutMs)}`,
    )
  }
  return drainTimeoutMs
}

/** How error messages quote a bad value: JSON for plain values, the class for instances. */
export function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value)
  return `an instance of ${value.constructor?.name ?? 'Object'}`
}
