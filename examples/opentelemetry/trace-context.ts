/**
 * W3C trace context across Spider Mesh calls, with the OpenTelemetry API: a caller interceptor
 * writes the active span's `traceparent` (and `tracestate`) into the call's metadata; a provider
 * interceptor reads it and starts the provider's span as its child. Any OpenTelemetry SDK and
 * exporter works; this file needs only `@opentelemetry/api` (and a registered propagator).
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import type { CallerInterceptor, ProviderInterceptor } from '@spider-mesh/core'

const SPAN = Symbol('span')

/** Caller side: every call carries the active trace context in its metadata. */
export function traceCalls(): CallerInterceptor {
  return {
    meta() {
      const carrier: Record<string, string> = {}
      propagation.inject(context.active(), carrier)
      return Object.keys(carrier).length > 0 ? carrier : undefined
    },
  }
}

/** Provider side: a SERVER span per served call, the child of the caller's span. */
export function traceServed(tracer: Tracer): ProviderInterceptor {
  return {
    before(call) {
      const parent = propagation.extract(context.active(), call.context.meta)
      const span = tracer.startSpan(
        `${call.service}.${call.method}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'rpc.system': 'spider-mesh', 'rpc.service': call.service, 'rpc.method': call.method },
        },
        parent,
      )
      call.state.set(SPAN, span)
    },
    error(call, error) {
      const span = call.state.get(SPAN) as Span | undefined
      span?.recordException(error as Error)
      span?.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) })
      return error
    },
    end(call) {
      ;(call.state.get(SPAN) as Span | undefined)?.end()
    },
  }
}
