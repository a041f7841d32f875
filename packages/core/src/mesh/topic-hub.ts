import { Observable, Subject } from 'rxjs'
import { decodeValue } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import type { PublishPacket } from '../protocol/packets.js'
import { describe } from './mesh-options.js'

/** A pub/sub topic carrying messages of type `T`; create with `defineTopic`. */
export interface Topic<T> {
  readonly name: string
  /** Type carrier only; never set. */
  readonly __message?: T
}

/** The name of a topic given as a Topic or a string; throws INVALID_OPTION for anything else. */
export function topicName(topic: Topic<unknown> | string): string {
  const name = typeof topic === 'string' ? topic : topic?.name
  if (typeof name !== 'string' || name === '') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `A topic must be a non-empty string, got ${describe(topic)}`,
    )
  }
  return name
}

/**
 * Local listeners per topic. The first listener of a topic subscribes the transporters; the last
 * one leaving unsubscribes them (transporters apply `unsubscribeDelayMs`).
 */
export class TopicHub {
  #topics = new Map<string, { subject: Subject<unknown>; listeners: number }>()

  constructor(
    private readonly onFirst: (topic: string) => void,
    private readonly onLast: (topic: string) => void,
    private readonly onBadMessage: (topic: string, error: unknown) => void,
  ) {}

  listen<T>(topic: string): Observable<T> {
    return new Observable<T>((subscriber) => {
      let entry = this.#topics.get(topic)
      if (!entry) {
        entry = { subject: new Subject<unknown>(), listeners: 0 }
        this.#topics.set(topic, entry)
      }
      entry.listeners++
      const subscription = (entry.subject as Subject<T>).subscribe(subscriber)
      if (entry.listeners === 1) this.onFirst(topic)
      return () => {
        subscription.unsubscribe()
        const current = this.#topics.get(topic)
        if (current !== entry) return
        if (--entry.listeners === 0) {
          this.#topics.delete(topic)
          this.onLast(topic)
        }
      }
    })
  }

  /** Delivers an encoded message to local listeners; each delivery decodes its own copy. */
  deliver(packet: PublishPacket): void {
    const entry = this.#topics.get(packet.topic)
    if (!entry) return
    let value: unknown
    try {
      value = decodeValue(packet.payload)
    } catch (err) {
      this.onBadMessage(packet.topic, err)
      return
    }
    entry.subject.next(value)
  }

  topics(): string[] {
    return [...this.#topics.keys()]
  }

  /** Completes every listener (mesh closing). */
  complete(): void {
    for (const entry of this.#topics.values()) entry.subject.complete()
    this.#topics.clear()
  }
}
