import { isObservable, type Observable, Subscriber, type Subscription } from 'rxjs'
import { decodeValue, encodeValue, findUnserialisable } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { toWireError, type WireError } from '../protocol/errors.js'
import { ResponseKind, type ResponseKindValue, type RpcRequestPacket } from '../protocol/packets.js'
import type { ServedCallHandle, TransportLink } from '../transport/transporter.js'
import { runInContext, ServedContext } from './call-context.js'
import type { ProviderInterceptor } from './interceptors.js'
import type { Logger } from './logger.js'
import { ServedInterception } from './served-interception.js'
import type { ServiceDefinition } from './service-definition.js'
import { StreamCredit } from './stream-credit.js'

/** A served instance and its definition. */
export interface LocalService {
  instance: object
  definition: ServiceDefinition
}

const noop = () => {}

/** What serving calls needs from the mesh (its settings). */
export interface DispatchSettings {
  readonly nodeId: string
  readonly logger?: Logger
  readonly maxStreamBufferBytes?: number
  /** The mesh's live list (`mesh.intercept()` adds to it). */
  readonly providerInterceptors?: readonly ProviderInterceptor[]
}

/** Bytes an Observable may emit past the caller's credit before its stream fails (see StreamCredit). */
export const DEFAULT_MAX_STREAM_BUFFER_BYTES = 8 * 1024 * 1024
/** Without flow control, a pull source yields to I/O this often, so a cancel can get in. */
const YIELD_EVERY = 128

/**
 * Runs one incoming request against a local service and streams the outcome back on `link`.
 * Returns the function that stops the work (cancel from the caller, or the caller gone).
 * Never throws: every failure becomes an error response.
 */
export function dispatchRequest(
  service: LocalService | undefined,
  packet: RpcRequestPacket,
  link: TransportLink,
  settings: DispatchSettings,
): ServedCallHandle {
  const { nodeId, logger } = settings
  const maxStreamBufferBytes = settings.maxStreamBufferBytes ?? DEFAULT_MAX_STREAM_BUFFER_BYTES
  let interception: ServedInterception | undefined
  let stopped = false
  let subscription: Subscription | undefined
  let iterator: AsyncIterator<unknown> | undefined
  const context = new ServedContext(packet)

  const send = (kind: ResponseKindValue, payload?: Uint8Array) => {
    if (stopped) return
    // Past its deadline the caller has given up: say why instead of sending a late value.
    if (packet.deadline !== undefined && Date.now() >= packet.deadline && kind !== ResponseKind.Error) {
      subscription?.unsubscribe()
      kind = ResponseKind.Error
      payload = encodeValue({
        code: ErrorCode.MICROSERVICE_RPC_TIMEOUT,
        message: `${packet.service}.${packet.method} did not finish by the call's deadline`,
      })
    }
    if (kind !== ResponseKind.Next) {
      stopped = true
      context.end()
      interception?.end()
    }
    const response =
      payload === undefined
        ? { type: 'response' as const, request_id: packet.request_id, kind, reply_to: packet.reply_to }
        : {
            type: 'response' as const,
            request_id: packet.request_id,
            kind,
            payload,
            reply_to: packet.reply_to,
          }
    void link.send(response)
  }
  const fail = (error: WireError) => send(ResponseKind.Error, encodeValue(error))
  const credit = new StreamCredit(
    packet.window,
    maxStreamBufferBytes,
    (payload) => send(ResponseKind.Next, payload),
    (buffered) => {
      subscription?.unsubscribe()
      const message =
        `${packet.service}.${packet.method} emitted ${buffered} bytes past what its caller has taken, the most this ` +
        'node buffers (maxStreamBufferBytes; an Observable cannot pause): the stream was ended. Return an AsyncIterable ' +
        '(pulled as the caller reads) or raise maxStreamBufferBytes'
      logger?.warn(`${message}; the caller gets STREAM_OVERFLOW`)
      fail({ code: ErrorCode.STREAM_OVERFLOW, message })
    },
  )
  const emit = (kind: ResponseKindValue, value: unknown) => {
    if (interception) {
      try {
        value = interception.after(value)
      } catch (err) {
        subscription?.unsubscribe()
        fail(applicationError(err))
        return
      }
    }
    let payload: Uint8Array
    try {
      payload = encodeValue(value)
    } catch (err) {
      subscription?.unsubscribe()
      // The path names the culprit (`result.items[3].callback is a function`); say it here too:
      // the provider's author is the one who can fix it, and the caller only sees the code.
      const path = findUnserialisable(value, 'result')
      const message = `${packet.service}.${packet.method} produced a value that cannot be serialised: ${path ?? (err as Error).message}`
      logger?.warn(`${message}; the caller gets SERIALIZATION_ERROR`)
      fail({ code: ErrorCode.SERIALIZATION_ERROR, message })
      return
    }
    if (kind === ResponseKind.Next) credit.push(payload)
    else send(kind, payload)
  }
  const stream = (source: Observable<unknown>) => {
    // Our own Subscriber, known before subscribe() returns: a synchronous source (`range`,
    // `from(array)`) is stopped mid-emission when the call is cancelled or overflows.
    const subscriber = new Subscriber<unknown>({
      next: (value) => emit(ResponseKind.Next, value),
      error: (err: unknown) => credit.end(() => failed(err)),
      complete: () => credit.end(() => send(ResponseKind.Complete)),
    })
    subscription = subscriber
    // Subscribed in the call's context: a lazy source's setup reads callContext() too.
    runInContext(context, () => source.subscribe(subscriber))
    // Stopped while a synchronous source was emitting: make sure nothing of it stays subscribed.
    if (stopped) subscriber.unsubscribe()
  }

  if (!service) {
    fail({
      code: ErrorCode.MICROSERVICE_NOT_FOUND,
      message: `Node ${nodeId} does not provide service "${packet.service}"`,
    })
    return noop
  }
  const method = service.definition.methods.get(packet.method)
  if (!method) {
    fail({
      code: ErrorCode.MICROSERVICE_NOT_FOUND,
      message: `Service "${packet.service}" has no method "${packet.method}". Callable methods: ${
        [...service.definition.methods.keys()].join(', ') || '(none)'
      }`,
    })
    return noop
  }
  let args: unknown
  try {
    args = decodeValue(packet.payload)
  } catch (err) {
    fail({
      code: ErrorCode.INVALID_ARGUMENTS,
      message: `Arguments could not be decoded: ${(err as Error).message}`,
    })
    return noop
  }
  if (!Array.isArray(args)) {
    fail({ code: ErrorCode.INVALID_ARGUMENTS, message: 'Arguments must be encoded as an array' })
    return noop
  }
  if (args.length > method.maxArgs) {
    fail({
      code: ErrorCode.INVALID_ARGUMENTS,
      message: `${packet.service}.${packet.method} takes at most ${method.maxArgs} argument(s), got ${args.length}`,
    })
    return noop
  }

  if (packet.deadline !== undefined && packet.deadline <= Date.now()) {
    fail({
      code: ErrorCode.MICROSERVICE_RPC_TIMEOUT,
      message: `The deadline of the call to ${packet.service}.${packet.method} passed before it could run; it was not run`,
    })
    return noop
  }
  // What the method threw or emitted as an error, through the interceptors' `error` hooks.
  const failed = (err: unknown) => fail(applicationError(interception ? interception.error(err) : err))
  // An AsyncIterable (an async generator) is pulled one value at a time, only while the caller
  // has credit: the provider produces no faster than the caller reads.
  const pull = (source: AsyncIterable<unknown>) =>
    runInContext(context, async () => {
      try {
        iterator = source[Symbol.asyncIterator]()
        for (let count = 1; ; count++) {
          if (!credit.open) await credit.wait()
          else if (!credit.limited && count % YIELD_EVERY === 0) await new Promise((r) => setTimeout(r, 0))
          if (stopped) return
          const step = await iterator.next()
          if (stopped) return
          if (step.done) {
            send(ResponseKind.Complete)
            return
          }
          emit(ResponseKind.Next, step.value)
        }
      } catch (err) {
        failed(err)
      }
    })
  const settle = (value: unknown) => {
    if (isObservable(value)) stream(value)
    else if (isAsyncIterable(value)) void pull(value)
    else emit(ResponseKind.Value, value)
  }
  const invoke = () => {
    let result: unknown
    try {
      const instance = service.instance
      result = runInContext(context, () => method.fn.apply(instance, args))
    } catch (err) {
      failed(err)
      return
    }
    if (isThenable(result) && !isObservable(result)) {
      result.then((value) => {
        if (!stopped) settle(value)
      }, failed)
    } else {
      settle(result)
    }
  }
  const interceptors = settings.providerInterceptors
  if (interceptors !== undefined && interceptors.length > 0) {
    interception = new ServedInterception(interceptors, {
      service: packet.service,
      method: packet.method,
      args,
      context,
      state: new Map(),
    })
  }
  // `before` hooks may deny the call (the method never runs); their error's code is kept as it
  // is: the method did not run, so nothing about it can be spoofed.
  const gate = interception?.before()
  if (gate === undefined) invoke()
  else
    runInContext(context, () => gate).then(
      () => {
        if (!stopped) invoke()
      },
      (err) => fail(toWireError(err)),
    )
  const handle: ServedCallHandle = () => {
    if (stopped) return
    stopped = true
    interception?.end()
    context.stop('the caller cancelled the call or is gone')
    credit.stop()
    subscription?.unsubscribe()
    void iterator?.return?.()?.catch?.(noop)
  }
  handle.credit = (items) => credit.grant(items)
  return handle
}

const MESH_CODES = new Set<string>(Object.values(ErrorCode))

/**
 * An error the method threw (or rethrew from a call of its own), as the caller receives it. A
 * code the mesh itself uses (`MICROSERVICE_OFFLINE`, …) becomes `REMOTE_<code>`: the caller's
 * mesh decides retries and fallbacks on those codes, and an application must not be able to
 * make it believe the provider was never reached.
 */
function applicationError(err: unknown): WireError {
  const wire = toWireError(err)
  if (wire.code !== undefined && MESH_CODES.has(wire.code)) wire.code = `REMOTE_${wire.code}`
  return wire
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
  )
}
