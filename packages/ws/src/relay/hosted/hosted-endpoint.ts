import {
  decodeValue,
  ErrorCode,
  encodeValue,
  type Frame,
  FrameType,
  MAX_CREDIT,
  type RequestFrame,
  type RequestOptions,
  ResponseKind,
  type ServiceCatalog,
} from '@spider-mesh/core'
import type { CallEndpoint, PendingRequest } from '../call-endpoint.js'
import type { CallRouter } from '../call-router.js'
import type { HostedCall, HostedService } from './hosted-service.js'

/** Largest backlog of one hosted stream whose caller stopped granting credit (the core's default). */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024

/**
 * A hosted service as the call router sees it: a provider endpoint inside the relay. Requests
 * arrive through `sendFrame` like those of a node, and answers go back through the router's
 * `response`, so the pending table, cancels, credit counting and metrics are the usual ones.
 */
export class HostedEndpoint implements CallEndpoint {
  readonly nodeId = '$relay'
  readonly label: string
  readonly remote = false
  /** Hosted streams are long-lived by design (watches): the pending TTL sweep skips them. */
  readonly hosted = true
  lastSeen = Date.now()
  readonly outgoing = new Map<number, PendingRequest>()
  readonly incoming = new Set<PendingRequest>()
  /** Present (empty) so the router forwards request options (deadline, window) to it. */
  readonly catalog: ServiceCatalog = {}
  readonly access = null
  readonly #service: HostedService
  readonly #calls: () => CallRouter
  readonly #served = new Map<number, ServedHostedCall>()

  constructor(service: HostedService, calls: () => CallRouter) {
    this.#service = service
    this.#calls = calls
    this.label = `the relay's ${service.name}`
  }

  sendFrame(frame: Frame): void {
    switch (frame[0]) {
      case FrameType.Request:
        this.#request(frame)
        return
      case FrameType.Cancel:
        this.#served.get(frame[1])?.cancelled()
        return
      case FrameType.Credit:
        this.#served.get(frame[1])?.granted(frame[2])
        return
    }
  }

  /** Ends every call without answering (the relay is closing every connection). */
  clear(): void {
    for (const call of [...this.#served.values()]) call.cancelled()
  }

  #request([, relayId, , method, source, payload, options]: RequestFrame): void {
    const caller = this.#calls().pending(relayId)?.caller
    if (!caller) return
    const call = new ServedHostedCall(this, relayId, caller, source ?? '', method, options)
    this.#served.set(relayId, call)
    let args: unknown
    try {
      args = decodeValue(payload)
    } catch {
      args = undefined
    }
    if (!Array.isArray(args)) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        `${this.#service.name}.${method}: the arguments could not be decoded`,
      )
      return
    }
    call.args = args
    try {
      this.#service.serve(call)
    } catch (err) {
      // A bug in a hosted service must cost one call, never the relay.
      call.fail(undefined, `${this.#service.name}.${method} failed: ${(err as Error).message}`)
    }
  }

  /** Sends one response step of a served call (the router forwards it to the caller). */
  respond(relayId: number, kind: number, payload: Uint8Array | null): void {
    if (kind !== ResponseKind.Next) this.#served.delete(relayId)
    this.lastSeen = Date.now()
    this.#calls().response(this, [FrameType.Response, relayId, kind, payload])
  }

  forget(relayId: number): void {
    this.#served.delete(relayId)
  }
}

/** One call being served, with the queue that keeps a stream within its caller's window. */
class ServedHostedCall implements HostedCall {
  args: unknown[] = []
  ended = false
  readonly caller: CallEndpoint
  readonly callerId: string
  readonly method: string
  readonly options: RequestOptions | undefined
  readonly #endpoint: HostedEndpoint
  readonly #relayId: number
  /** Values the caller still accepts; -1 without flow control. */
  #credit: number
  readonly #queue: Uint8Array[] = []
  #queuedBytes = 0
  #completeQueued = false
  #whenEnded: (() => void)[] | undefined

  constructor(
    endpoint: HostedEndpoint,
    relayId: number,
    caller: CallEndpoint,
    callerId: string,
    method: string,
    options: RequestOptions | undefined,
  ) {
    this.#endpoint = endpoint
    this.#relayId = relayId
    this.caller = caller
    this.callerId = callerId
    this.method = method
    this.options = options
    this.#credit = options?.window ?? -1
  }

  whenEnded(fn: () => void): void {
    if (this.ended) {
      fn()
      return
    }
    this.#whenEnded ??= []
    this.#whenEnded.push(fn)
  }

  /** Marks the call ended and runs what waited for it. */
  #ended(): void {
    this.ended = true
    const waiting = this.#whenEnded
    this.#whenEnded = undefined
    if (waiting) for (const fn of waiting) fn()
  }

  reply(value: unknown): void {
    if (this.ended) return
    this.#ended()
    this.#endpoint.respond(this.#relayId, ResponseKind.Value, encodeValue(value))
  }

  next(value: unknown): void {
    if (this.ended || this.#completeQueued) return
    this.nextEncoded(encodeValue(value))
  }

  nextEncoded(bytes: Uint8Array): void {
    if (this.ended || this.#completeQueued) return
    if (this.#credit === 0 || this.#queue.length > 0) {
      this.#queuedBytes += bytes.byteLength
      if (this.#queuedBytes > MAX_QUEUED_BYTES) {
        this.fail(
          ErrorCode.STREAM_OVERFLOW,
          `The caller of ${this.#endpoint.label}.${this.method} stopped taking values: more than ${MAX_QUEUED_BYTES} bytes waited for credit`,
        )
        // fail() ran the service's whenEnded callbacks: it stops its work as on a cancel.
        return
      }
      this.#queue.push(bytes)
      return
    }
    if (this.#credit > 0) this.#credit--
    this.#endpoint.respond(this.#relayId, ResponseKind.Next, bytes)
  }

  complete(): void {
    if (this.ended) return
    if (this.#queue.length > 0) {
      this.#completeQueued = true
      return
    }
    this.#ended()
    this.#endpoint.respond(this.#relayId, ResponseKind.Complete, null)
  }

  fail(code: string | undefined, message: string, data?: unknown): void {
    if (this.ended) return
    this.#ended()
    this.#queue.length = 0
    const wire: { code?: string; message: string; data?: unknown } = { message }
    if (code !== undefined) wire.code = code
    if (data !== undefined) wire.data = data
    this.#endpoint.respond(this.#relayId, ResponseKind.Error, encodeValue(wire))
  }

  /** The caller granted more values: the queue drains first. */
  granted(items: number): void {
    if (this.ended || this.#credit < 0) return
    this.#credit = Math.min(this.#credit + items, MAX_CREDIT)
    while (this.#credit > 0 && this.#queue.length > 0) {
      const bytes = this.#queue.shift()!
      this.#queuedBytes -= bytes.byteLength
      this.#credit--
      this.#endpoint.respond(this.#relayId, ResponseKind.Next, bytes)
    }
    if (this.#completeQueued && this.#queue.length === 0) {
      this.#completeQueued = false
      this.complete()
    }
  }

  /** The caller cancelled, left, or the relay is closing: the service stops its work. */
  cancelled(): void {
    this.#endpoint.forget(this.#relayId)
    if (this.ended) return
    this.#queue.length = 0
    this.#ended()
  }
}
