import { expect, test } from 'bun:test'
import { spawn, startRelay, useCleanup } from './harness/index.js'

useCleanup()

const example = (file: string) => new URL(`../examples/opentelemetry/${file}`, import.meta.url).pathname

interface SpanLine {
  service: string
  name: string
  traceId: string
  spanId: string
  parentSpanId: string | null
}

const spans = (lines: { text: string }[]): SpanLine[] =>
  lines.filter((l) => l.text.startsWith('SPAN ')).map((l) => JSON.parse(l.text.slice(5)) as SpanLine)

test('examples/opentelemetry: the span a caller process started is the parent of the provider process span', async () => {
  const relay = await startRelay()
  const provider = spawn('otel provider', [process.execPath, example('provider.ts')], {
    RELAY_URL: relay.url,
  })
  await provider.waitForLine(/^READY inventory-1$/)
  const caller = spawn('otel caller', [process.execPath, example('caller.ts')], { RELAY_URL: relay.url })
  await caller.waitForLine(/^STOCK 7$/)
  const checkout = await caller.waitForLine(/^SPAN (.*"name":"checkout".*)$/)
  const served = await provider.waitForLine(/^SPAN (.*"name":"Inventory\.stock".*)$/)
  const [callerSpan] = spans([{ text: checkout[0]! }])
  const [providerSpan] = spans([{ text: served[0]! }])
  expect(callerSpan!.parentSpanId).toBeNull()
  expect(providerSpan!.traceId).toBe(callerSpan!.traceId)
  expect(providerSpan!.parentSpanId).toBe(callerSpan!.spanId)
  expect(spans(provider.lines)).toHaveLength(1)
})
