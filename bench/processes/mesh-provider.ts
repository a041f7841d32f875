/**
 * Serves `BenchEcho` (unary `echo`, a `stream` of numbers and a pulled `numbers` generator) on
 * the relay at RELAY_URL and prints `READY` once welcomed. BREAKDOWN=1: records its socket's
 * events and each `echo` call (breakdown/probe.ts).
 */
// First: the probes must wrap the WebSocket before @spider-mesh/ws/node captures it.
import '../breakdown/install.js'
import { Microservice } from '@spider-mesh/core'
import { range } from 'rxjs'
import { Ev } from '../breakdown/events.js'
import { probe, probeCommand } from '../breakdown/probe.js'
import { envString, holdLifeline, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

@Microservice({ name: 'BenchEcho' })
export class BenchEcho {
  echo(payload: string): string {
    probe(Ev.ProviderMethod)
    return payload
  }

  stream(count: number) {
    return range(0, count)
  }

  /** A pull source (flow control pulls it only as the caller takes values). */
  async *numbers(count: number) {
    for (let i = 0; i < count; i++) yield i
  }
}

holdLifeline(probeCommand)
const mesh = await connectMesh(envString('RELAY_URL'), `bench-provider-${process.pid}`)
await mesh.provide(new BenchEcho())
say('READY')
