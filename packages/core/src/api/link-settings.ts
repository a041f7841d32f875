import type { CallOptions } from '../mesh/call-sink.js'
import type { CallerInterceptor } from '../mesh/interceptors.js'
import { checkedInterceptor } from '../mesh/mesh-options.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { MAX_CALL_META, MAX_CREDIT } from '../protocol/frames.js'
import { isVersionRange } from '../protocol/version-range.js'
import type { Balance, LinkOptions } from './proxy-types.js'

export const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_RETRY_DELAY_MS = 1_000
/** Stream values a subscriber (or `for await`) lets the provider send ahead of what it took. */
export const DEFAULT_WINDOW = 128

/** A proxy's options, checked, with the per-call options built once. */
export interface Settings {
  service: string
  timeout: number
  retries: number
  retryDelayMs: number
  /** Methods whose delivered calls may be retried too; `true`: every method. */
  idempotent: boolean | ReadonlySet<string> | 'marked'
  hasFallback: boolean
  fallback: unknown
  node_id: string | undefined
  /** A semver range the providers' version must satisfy. */
  version: string | undefined
  /** Relative deadline per call (ms), when set; the absolute one is in callOptions. */
  deadlineMs: number | undefined
  /** Flow control window of subscribed and iterated calls. */
  window: number
  /** How the router picks a provider (round-robin when undefined). */
  balance: Balance | undefined
  /** Caller-side interceptors of this link (empty: none). */
  interceptors: readonly CallerInterceptor[]
  /** What the mesh enforces per call, built once per settings rather than once per call. */
  callOptions: CallOptions
  /** The same with the window, for calls that are subscribed or iterated. */
  streamOptions: CallOptions
}

/** Checks link options (over `base`, for `set()`); throws INVALID_OPTION naming the bad one. */
export function validate(options: Partial<LinkOptions>, base?: Settings): Settings {
  const fail = (what: string, value: unknown): never => {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `RemoteServiceLinker: ${what}, got ${JSON.stringify(value)}`,
    )
  }
  const service = options.service ?? base?.service
  if (typeof service !== 'string' || service === '') fail('`service` must be a non-empty string', service)
  const timeout = options.timeout ?? base?.timeout ?? DEFAULT_TIMEOUT_MS
  if (typeof timeout !== 'number' || !(timeout >= 0)) fail('`timeout` must be a number of ms >= 0', timeout)
  let retries = base?.retries ?? 0
  let retryDelayMs = options.retryDelayMs ?? base?.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS
  if (typeof options.retry === 'number') retries = options.retry
  else if (options.retry !== undefined) {
    if (options.retry === null || typeof options.retry !== 'object')
      fail('`retry` must be a count or { count, delayMs }', options.retry)
    retries = options.retry.count
    retryDelayMs = options.retry.delayMs ?? retryDelayMs
  }
  if (!Number.isInteger(retries) || retries < 0) fail('`retry` count must be an integer >= 0', retries)
  if (typeof retryDelayMs !== 'number' || !(retryDelayMs >= 0))
    fail('the retry delay must be a number of ms >= 0', retryDelayMs)
  const node_id = 'node_id' in options ? options.node_id : base?.node_id
  if (node_id !== undefined && (typeof node_id !== 'string' || node_id === ''))
    fail('`node_id` must be a non-empty string', node_id)
  const version = 'version' in options ? options.version : base?.version
  if (version !== undefined && !isVersionRange(version))
    fail('`version` must be a semver range such as "^2" or ">=1.4 <3"', version)
  const deadlineOption = 'deadline' in options ? options.deadline : base?.callOptions.deadline
  const deadline = deadlineOption instanceof Date ? deadlineOption.getTime() : deadlineOption
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline)))
    fail('`deadline` must be a Date or epoch ms', deadlineOption)
  const deadlineMs = 'deadlineMs' in options ? options.deadlineMs : base?.deadlineMs
  if (deadlineMs !== undefined && (typeof deadlineMs !== 'number' || !(deadlineMs > 0)))
    fail('`deadlineMs` must be a number of ms > 0', deadlineMs)
  const meta = 'meta' in options ? options.meta : base?.callOptions.meta
  if (
    meta !== undefined &&
    (meta === null ||
      typeof meta !== 'object' ||
      Object.keys(meta).length > MAX_CALL_META ||
      !Object.values(meta).every((v) => typeof v === 'string' && v.length <= 4096))
  )
    fail(`\`meta\` must be an object of at most ${MAX_CALL_META} string values`, meta)
  const window = options.window ?? base?.window ?? DEFAULT_WINDOW
  if (!Number.isInteger(window) || window < 1 || window > MAX_CREDIT)
    fail(`\`window\` must be an integer from 1 to ${MAX_CREDIT}`, window)
  const balance = 'balance' in options ? checkedBalance(options.balance, fail) : base?.balance
  const interceptors = (options.interceptors ?? base?.interceptors ?? []).map((i) =>
    checkedInterceptor(i, 'link({ interceptors })'),
  )
  const hasFallback = 'fallback' in options ? true : (base?.hasFallback ?? false)
  // 'marked': follow the providers' @Idempotent() marks (the default).
  let idempotent: Settings['idempotent'] = base?.idempotent ?? 'marked'
  if (options.idempotent !== undefined) {
    const given = options.idempotent
    if (typeof given === 'boolean') idempotent = given
    else if (Array.isArray(given) && given.every((m) => typeof m === 'string')) idempotent = new Set(given)
    else fail('`idempotent` must be true, false or a list of method names', given)
  }
  const callOptions: CallOptions = {
    timeout,
    ...(node_id === undefined ? {} : { node_id }),
    ...(version === undefined ? {} : { version }),
    ...(deadline === undefined ? {} : { deadline }),
    ...(meta === undefined ? {} : { meta }),
    ...(balance === 'least-in-flight' ? { balance } : {}),
  }
  return {
    service: service as string,
    timeout,
    retries,
    retryDelayMs,
    idempotent,
    hasFallback,
    fallback: 'fallback' in options ? options.fallback : base?.fallback,
    node_id,
    version,
    deadlineMs,
    window,
    balance,
    interceptors,
    callOptions,
    streamOptions: { ...callOptions, window },
  }
}

/** The call's options with `deadlineMs` from now (or the absolute deadline, when sooner). */
export function withRelativeDeadline(options: CallOptions, deadlineMs: number): CallOptions {
  const relative = Date.now() + deadlineMs
  return { ...options, deadline: Math.min(relative, options.deadline ?? relative) }
}

/** A valid balancing choice, or a call of `fail` (INVALID_OPTION) saying what is accepted. */
export function checkedBalance(
  balance: unknown,
  fail: (what: string, value: unknown) => never = (what, value) => {
    throw new MeshError(ErrorCode.INVALID_OPTION, `${what}, got ${describeBalance(value)}`)
  },
): Balance | undefined {
  if (balance === undefined || balance === 'round-robin') return undefined
  if (balance === 'least-in-flight') return balance
  if (
    balance !== null &&
    typeof balance === 'object' &&
    typeof (balance as { hash?: unknown }).hash === 'function'
  )
    return balance as Balance
  return fail("`balance` must be 'round-robin', 'least-in-flight' or { hash: (args) => key }", balance)
}

function describeBalance(value: unknown): string {
  return typeof value === 'function' ? 'a function' : JSON.stringify(value)
}

/**
 * The options of one call with a consistent-hashing key: `hash(args)` as a string (at most 256
 * characters). A hash function that throws or returns something else fails the call, saying so.
 */
export function withKey(
  options: CallOptions,
  balance: { hash: (args: unknown[]) => unknown },
  args: unknown[],
): CallOptions {
  const key = balance.hash(args)
  if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length > 256) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `balance.hash(args) must return a string or number of at most 256 characters, got ${JSON.stringify(key)}`,
    )
  }
  return { ...options, key: String(key) }
}
