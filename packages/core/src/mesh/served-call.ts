import { isObservable, type Observable, Subscriber, type Subscription } from 'rxjs'
import { decodeValue, encodeValue, findUnserialisable } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { toWireError, type WireError } from '../protocol/errors.js'
import { ResponseKind, type ResponseKindValue, type RpcRequestPacket } from '../protocol/packets.js'
import type { ServedCallControl, ServedCallHandle, TransportLink } from '../transport/transporter.js'
import { applyInContext, runInContext, ServedContext } from './call-context.js'
import type { ProviderInterceptor } from './interceptors.js'
import type { Logger } from './logger.js'
import { ServedInterception } from './served-interception.js'
import type { ServiceDefinition, ServiceMethod } from './service-definition.js'
import { StreamCredit } from './stream-credit.js'

/** A served instance and its definition. */
export interface LocalService {
  instance: object
  definition: ServiceDefinition
}

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
const MESH_CODES = new Set<string>(Object.values(ErrorCode))

/**
 * One call this node serves, from its request to its last response. A class rather than a
 * closure per step: a node serves every call through it, and the methods live once on the
 * prototype (issue 14 measured the provider's closures per call). Never throws: every failure
 * becomes an error response.
 */
export class ServedCall implements ServedCallControl {
  readonly #packet: RpcRequestPacket
  readonly #link: TransportLink
  readonly #settings: DispatchSettings
  readonly #context: ServedContext
  #interception: ServedInterception | undefined
  /** Made for streams only: a unary call has no credit to keep. */
  #credit: StreamCredit | undefined
  #subscription: Subscription | undefined
  /** The decoded arguments, once #resolve accepted them. */
  #args: unknown[] = NO_ARGS
  #iterator: AsyncIterator<unknown> | undefined
  #stopped = false
  #ran = false

  /** The service the request names, or undefined when this node does not serve it. */
  readonly #service: LocalService | undefined

  constructor(
    packet: RpcRequestPacket,
    link: TransportLink,
    settings: DispatchSettings,
    service: LocalService | undefined,
  ) {
    this.#service = service
    this.#packet = packet
    this.#link = link
    this.#settings = settings
    this.#context = new ServedContext(packet)
  }

  /** The service and method called (ServedCallControl: the transporter's messages quote them). */
  get service(): string {
    return this.#packet.service
  }
  get method(): string {
    return this.#packet.method
  }

  /**
   * Checks the request against the service and runs the method. Returns the handle the
   * transporter stops the call with; called with a number, it grants stream credit (the same
   * function serves as `handle.credit`, so a call costs one function object, not two).
   */
  start(): ServedCallHandle {
    // Only a number grants; a string is the caller's reason to stop; anything else (an event
    // object, nothing) stops plainly.
    const handle = ((items?: unknown) => {
      if (typeof items === 'number') this.credit(items)
      else this.stop(typeof items === 'string' ? items : undefined)
    }) as ServedCallHandle
    handle.credit = handle as unknown as (items: number) => void
    this.run()
    return handle
  }

  /**
   * Checks the request against the service and runs the method (ServedCallControl: the call
   * itself is what the transporter stops and credits it with, no function per call).
   */
  run(): void {
    // Once: a transporter that runs a call twice must not run its method twice.
    if (this.#ran) return
    this.#ran = true
    const packet = this.#packet
    const service = this.#service
    const method = this.#resolve(service)
    if (!method) return
    const args = this.#args
    const interceptors = this.#settings.providerInterceptors
    if (interceptors !== undefined && interceptors.length > 0) {
      this.#interception = new ServedInterception(interceptors, {
        service: packet.service,
        method: packet.method,
        args,
        context: this.#context,
        state: new Map(),
      })
    }
    // `before` hooks may deny the call (the method never runs); their error's code is kept as
    // it is: the method did not run, so nothing about it can be spoofed.
    const gate = this.#interception?.before()
    if (gate === undefined) this.#invoke(service!.instance, method, args)
    else
      runInContext(this.#context, () => gate).then(
        () => {
          if (!this.#stopped) this.#invoke(service!.instance, method, args)
        },
        (err) => this.#fail(toWireError(err)),
      )
  }

  /** The caller of a stream accepts `items` more values (a unary call has no credit to keep). */
  credit(items: number): void {
    this.#credit?.grant(items)
  }

  /**
   * The caller cancelled or is gone: stop the work and fire the call's signal. `reason` is the
   * error code the caller ended the call with (MICROSERVICE_RPC_TIMEOUT), when it said.
   */
  stop(reason?: string): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#interception?.end()
    this.#context.stop(
      reason === ErrorCode.MICROSERVICE_RPC_TIMEOUT
        ? 'the caller timed out'
        : 'the caller cancelled the call or is gone',
      reason,
    )
    this.#credit?.stop()
    this.#subscription?.unsubscribe()
    this.#iterator?.return?.()?.catch?.(ignore)
  }

  /**
   * The method (its arguments go to `#args`: no tuple per call), or undefined after answering
   * why the call cannot run.
   */
  #resolve(service: LocalService | undefined): ServiceMethod | undefined {
    const packet = this.#packet
    if (!service) {
      return this.#refuse(
        ErrorCode.MICROSERVICE_NOT_FOUND,
        `Node ${this.#settings.nodeId} does not provide service "${packet.service}"`,
      )
    }
    const method = service.definition.methods.get(packet.method)
    if (!method) {
      const callable = [...service.definition.methods.keys()].join(', ') || '(none)'
      return this.#refuse(
        ErrorCode.MICROSERVICE_NOT_FOUND,
        `Service "${packet.service}" has no method "${packet.method}". Callable methods: ${callable}`,
      )
    }
    let args: unknown
    try {
      args = decodeValue(packet.payload)
    } catch (err) {
      return this.#refuse(
        ErrorCode.INVALID_ARGUMENTS,
        `Arguments could not be decoded: ${(err as Error).message}`,
      )
    }
    if (!Array.isArray(args))
      return this.#refuse(ErrorCode.INVALID_ARGUMENTS, 'Arguments must be encoded as an array')
    if (args.length > method.maxArgs) {
      return this.#refuse(
        ErrorCode.INVALID_ARGUMENTS,
        `${packet.service}.${packet.method} takes at most ${method.maxArgs} argument(s), got ${args.length}`,
      )
    }
    if (packet.deadline !== undefined && packet.deadline <= Date.now()) {
      return this.#refuse(
        ErrorCode.MICROSERVICE_RPC_TIMEOUT,
        `The deadline of the call to ${packet.service}.${packet.method} passed before it could run; it was not run`,
      )
    }
    this.#args = args
    return method
  }

  #refuse(code: string, message: string): undefined {
    this.#fail({ code, message })
    return undefined
  }

  #invoke(instance: object, method: ServiceMethod, args: unknown[]): void {
    let result: unknown
    try {
      result = applyInContext(this.#context, method.fn, instance, args)
    } catch (err) {
      this.#failed(err)
      return
    }
    if (isThenable(result) && !isObservable(result)) {
      result.then(
        (value) => {
          if (!this.#stopped) this.#settle(value)
        },
        (err) => this.#failed(err),
      )
    } else {
      this.#settle(result)
    }
  }

  #settle(value: unknown): void {
    if (isObservable(value)) this.#stream(value)
    else if (isAsyncIterable(value)) void this.#pull(value)
    else this.#emit(ResponseKind.Value, value)
  }

  /** Flow control of a stream, made on its first need. */
  #streamCredit(): StreamCredit {
    this.#credit ??= new StreamCredit(
      this.#packet.window,
      this.#settings.maxStreamBufferBytes ?? DEFAULT_MAX_STREAM_BUFFER_BYTES,
      (payload) => this.#send(ResponseKind.Next, payload),
      (buffered) => this.#overflowed(buffered),
    )
    return this.#credit
  }

  #stream(source: Observable<unknown>): void {
    const credit = this.#streamCredit()
    // Our own Subscriber, known before subscribe() returns: a synchronous source (`range`,
    // `from(array)`) is stopped mid-emission when the call is cancelled or overflows.
    const subscriber = new Subscriber<unknown>({
      next: (value) => this.#emit(ResponseKind.Next, value),
      error: (err: unknown) => credit.end(() => this.#failed(err)),
      complete: () => credit.end(() => this.#send(ResponseKind.Complete)),
    })
    this.#subscription = subscriber
    // Subscribed in the call's context: a lazy source's setup reads callContext() too.
    runInContext(this.#context, () => source.subscribe(subscriber))
    // Stopped while a synchronous source was emitting: make sure nothing of it stays subscribed.
    if (this.#stopped) subscriber.unsubscribe()
  }

  /**
   * An AsyncIterable (an async generator) is pulled one value at a time, only while the caller
   * has credit: the provider produces no faster than the caller reads.
   */
  #pull(source: AsyncIterable<unknown>): Promise<void> {
    const credit = this.#streamCredit()
    return runInContext(this.#context, async () => {
      try {
        const iterator = source[Symbol.asyncIterator]()
        this.#iterator = iterator
        for (let count = 1; ; count++) {
          if (!credit.open) await credit.wait()
          else if (!credit.limited && count % YIELD_EVERY === 0) await new Promise((r) => setTimeout(r, 0))
          if (this.#stopped) return
          const step = await iterator.next()
          if (this.#stopped) return
          if (step.done) {
            this.#send(ResponseKind.Complete)
            return
          }
          this.#emit(ResponseKind.Next, step.value)
        }
      } catch (err) {
        this.#failed(err)
      }
    })
  }

  #emit(kind: ResponseKindValue, value: unknown): void {
    const packet = this.#packet
    const interception = this.#interception
    if (interception) {
      try {
        value = interception.after(value)
      } catch (err) {
        this.#subscription?.unsubscribe()
        this.#fail(applicationError(err))
        return
      }
    }
    let payload: Uint8Array
    try {
      payload = encodeValue(value)
    } catch (err) {
      this.#subscription?.unsubscribe()
      // The path names the culprit (`result.items[3].callback is a function`); say it here too:
      // the provider's author is the one who can fix it, and the caller only sees the code.
      const path = findUnserialisable(value, 'result')
      const message = `${packet.service}.${packet.method} produced a value that cannot be serialised: ${path ?? (err as Error).message}`
      this.#settings.logger?.warn(`${message}; the caller gets SERIALIZATION_ERROR`)
      this.#fail({ code: ErrorCode.SERIALIZATION_ERROR, message })
      return
    }
    if (kind === ResponseKind.Next) this.#streamCredit().push(payload)
    else this.#send(kind, payload)
  }

  #overflowed(buffered: number): void {
    const packet = this.#packet
    this.#subscription?.unsubscribe()
    const message =
      `${packet.service}.${packet.method} emitted ${buffered} bytes past what its caller has taken, the most this ` +
      'node buffers (maxStreamBufferBytes; an Observable cannot pause): the stream was ended. Return an AsyncIterable ' +
      '(pulled as the caller reads) or raise maxStreamBufferBytes'
    this.#settings.logger?.warn(`${message}; the caller gets STREAM_OVERFLOW`)
    this.#fail({ code: ErrorCode.STREAM_OVERFLOW, message })
  }

  /** What the method threw or emitted as an error, through the interceptors' `error` hooks. */
  #failed(err: unknown): void {
    this.#fail(applicationError(this.#interception ? this.#interception.error(err) : err))
  }

  #fail(error: WireError): void {
    this.#send(ResponseKind.Error, encodeValue(error))
  }

  #send(kind: ResponseKindValue, payload?: Uint8Array): void {
    if (this.#stopped) return
    const packet = this.#packet
    // Past its deadline the caller has given up: say why instead of sending a late value.
    if (packet.deadline !== undefined && Date.now() >= packet.deadline && kind !== ResponseKind.Error) {
      this.#subscription?.unsubscribe()
      kind = ResponseKind.Error
      payload = encodeValue({
        code: ErrorCode.MICROSERVICE_RPC_TIMEOUT,
        message: `${packet.service}.${packet.method} did not finish by the call's deadline`,
      })
    }
    if (kind !== ResponseKind.Next) {
      this.#stopped = true
      this.#context.end()
      this.#interception?.end()
    }
    const link = this.#link
    if (link.respond !== undefined) {
      link.respond(packet.reply_to, packet.request_id, kind, payload)
      return
    }
    void link.send(
      payload === undefined
        ? { type: 'response', request_id: packet.request_id, kind, reply_to: packet.reply_to }
        : { type: 'response', request_id: packet.request_id, kind, payload, reply_to: packet.reply_to },
    )
  }
}

const ignore = () => {}
const NO_ARGS: unknown[] = []

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
