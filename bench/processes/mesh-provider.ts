/**
 * Serves `BenchEcho` (unary `echo`, a `stream` of numbers and a pulled `numbers` generator) on the relay at RELAY_URL and
 * prints `READY` once welcomed.
 */
import { Microservice } from '@spider-mesh/core'
import { range } from 'rxjs'
import { envString, holdLifeline, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

@Microservice({ name: 'BenchEcho' })
export class BenchEcho {
  echo(payload: string): string {
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

holdLifeline()
const mesh = await connectMesh(envString('RELAY_URL'), `bench-provider-${process.pid}`)
await mesh.provide(new BenchEcho())
say('READY')
