import type { Topic } from '../mesh/topic-hub.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'

/**
 * Declares a typed pub/sub topic, so `mesh.publish()` and `mesh.listen()` agree on the message type.
 *
 * @example
 * import { defineTopic } from '@spider-mesh/core'
 *
 * const Chat = defineTopic<{ from: string; text: string }>('chat')
 * mesh.listen(Chat).subscribe((m) => console.log(m.text))
 * mesh.publish(Chat, { from: 'ada', text: 'hi' })
 */
export function defineTopic<T>(name: string): Topic<T> {
  if (typeof name !== 'string' || name === '') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `defineTopic() needs a non-empty name, got ${JSON.stringify(name)}`,
    )
  }
  return Object.freeze({ name })
}
