/**
 * The OpenTelemetry SDK set-up both example processes share: W3C trace context propagation,
 * async context (AsyncLocalStorage), and an exporter that prints each finished span as one line
 * `SPAN <json>` (a real deployment would export to a collector instead).
 */
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

export function setUpTracing(serviceName: string) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const exporter = {
    export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void) {
      for (const span of spans) {
        const own = span.spanContext()
        console.log(
          'SPAN',
          JSON.stringify({
            service: serviceName,
            name: span.name,
            traceId: own.traceId,
            spanId: own.spanId,
            parentSpanId: span.parentSpanContext?.spanId ?? null,
          }),
        )
      }
      done({ code: ExportResultCode.SUCCESS })
    },
    shutdown: () => Promise.resolve(),
  }
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
  return trace.getTracer(serviceName)
}
