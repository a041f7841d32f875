import { usageError } from './cli-error.js'
import type { Command } from './command.js'
import { jsonLine } from './json-line.js'
import { openMeshSession } from './mesh-session.js'
import type { ParsedArgs } from './parse-args.js'
import { RELAY_FLAG, relayUrl, TOKEN_FLAG } from './relay-url.js'

async function runTail(args: ParsedArgs): Promise<number> {
  const [topic, ...extra] = args.positionals
  if (topic === undefined) throw usageError('tail needs a topic name.', 'tail')
  if (extra.length > 0)
    throw usageError(`tail takes one topic, but also got ${JSON.stringify(extra.join(' '))}.`, 'tail')
  const url = relayUrl(args.string('relay'), 'tail')
  const limit = args.number('count')
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw usageError(`--count expects a positive integer, got ${limit}.`, 'tail')
  }
  let stop: (code: number) => void = () => {}
  const stopped = new Promise<number>((resolve) => {
    stop = resolve
  })
  const onSigint = () => stop(130)
  process.on('SIGINT', onSigint)
  try {
    const session = await Promise.race([
      openMeshSession(url, 'tail', args.number('wait') ?? 5000, args.string('token')),
      stopped,
    ])
    if (typeof session === 'number') return session
    let received = 0
    const subscription = session.mesh.listen(topic).subscribe((message) => {
      console.log(jsonLine(message))
      if (limit !== undefined && ++received >= limit) stop(0)
    })
    console.error(`Listening on topic ${JSON.stringify(topic)} at ${url} (Ctrl-C to stop).`)
    const code = await stopped
    subscription.unsubscribe()
    await session.close()
    return code
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** `spider-mesh tail`: prints a topic's messages. */
export const tailCommand: Command = {
  name: 'tail',
  summary: 'Print the messages published on a topic, one JSON line each, until Ctrl-C.',
  usage: 'tail <topic> [--relay <url>] [--count <n>]',
  details:
    'Subscribes through the relay like any listener (the relay delivers only to subscribers), so it sees\n' +
    'messages published after it started. Status goes to stderr, messages to stdout.',
  flags: [
    RELAY_FLAG,
    TOKEN_FLAG,
    {
      name: 'count',
      short: 'c',
      type: 'number',
      placeholder: 'n',
      description: 'Exit (code 0) after this many messages.',
    },
    {
      name: 'wait',
      short: 'w',
      type: 'number',
      placeholder: 'ms',
      default: '5000',
      description: 'How long to wait for the relay before failing.',
    },
  ],
  examples: ['spider-mesh tail chat', 'spider-mesh tail orders.created --count 1 | jq .'],
  run: runTail,
}
