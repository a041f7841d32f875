import { RemoteServiceLinker } from '@spider-mesh/core'
import type { Subscription } from 'rxjs'
import { CliError, usageError } from './cli-error.js'
import type { Command } from './command.js'
import { jsonLine } from './json-line.js'
import { openMeshSession } from './mesh-session.js'
import type { ParsedArgs } from './parse-args.js'
import { RELAY_FLAG, relayUrl, TOKEN_FLAG } from './relay-url.js'

/** `Service.method` → its parts; the method is after the last dot, so service names may hold dots. */
export function parseTarget(target: string | undefined): { service: string; method: string } {
  const dot = target?.lastIndexOf('.') ?? -1
  if (target === undefined || dot <= 0 || dot === target.length - 1) {
    throw usageError(
      target === undefined
        ? 'call needs a target such as Greeter.hello.'
        : `call expects Service.method, got ${JSON.stringify(target)}.`,
      'call',
    )
  }
  return { service: target.slice(0, dot), method: target.slice(dot + 1) }
}

/** Each argument is one JSON value; a bare word is refused rather than guessed at. */
export function parseJsonArgs(raw: readonly string[]): unknown[] {
  return raw.map((text, i) => {
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw usageError(
        `Argument ${i + 1} is not JSON: ${text}. Quote strings for the shell too, e.g. '"${text}"'.`,
        'call',
      )
    }
  })
}

/** `CODE: message`, or the message alone for errors without a code. */
function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const message = String(e?.message ?? err)
  return typeof e?.code === 'string' ? `${e.code}: ${message}` : message
}

async function runCall(args: ParsedArgs): Promise<number> {
  const [target, ...rawArgs] = args.positionals
  const { service, method } = parseTarget(target)
  const callArgs = parseJsonArgs(rawArgs)
  const url = relayUrl(args.string('relay'), 'call')
  const waitMs = args.number('wait') ?? 5000
  const timeout = args.number('timeout') ?? 30_000
  if (waitMs < 0 || timeout < 0) throw usageError('--wait and --timeout must be >= 0.', 'call')
  const node = args.string('node')

  // Ctrl-C must work at every stage: while connecting, waiting for a provider, and mid-stream.
  let interrupted: (() => void) | undefined
  const interrupt = new Promise<'interrupted'>((resolve) => {
    interrupted = () => resolve('interrupted')
  })
  const onSigint = () => interrupted?.()
  process.on('SIGINT', onSigint)
  try {
    const session = await Promise.race([
      openMeshSession(url, 'call', waitMs, args.string('token')),
      interrupt,
    ])
    if (session === 'interrupted') {
      console.error('Interrupted while connecting to the relay.')
      return 130
    }
    try {
      const proxy = RemoteServiceLinker.link<Record<string, never>>(session.mesh, {
        service,
        timeout,
        ...(node === undefined ? {} : { node_id: node }),
      })
      if (proxy.nodes.length === 0) {
        console.error(`Waiting up to ${waitMs} ms for a provider of ${service}${node ? ` on ${node}` : ''}…`)
      }
      const ready = await Promise.race([
        proxy.wait({ timeout: waitMs }).then(
          () => 'ready' as const,
          (err: { code?: string }) => {
            if (err.code !== 'MICROSERVICE_OFFLINE') throw err
            const where = node === undefined ? '' : ` on node ${node}`
            throw Object.assign(
              new Error(
                `No provider of ${service}${where} is connected to ${url} (waited ${waitMs} ms). ` +
                  'Start one, or check the name with `spider-mesh ls`.',
              ),
              { code: err.code },
            )
          },
        ),
        interrupt,
      ])
      if (ready === 'interrupted') {
        console.error(`Interrupted while waiting for a provider of ${service}.`)
        return 130
      }
      let count = 0
      let subscription: Subscription | undefined
      const outcome = await Promise.race([
        new Promise<number>((resolve) => {
          subscription = RemoteServiceLinker.invoke(proxy, method, ...callArgs).subscribe({
            next: (value) => {
              count++
              console.log(jsonLine(value))
            },
            error: (err: unknown) => {
              console.error(describeError(err))
              resolve(1)
            },
            complete: () => resolve(0),
          })
        }),
        interrupt,
      ])
      if (outcome !== 'interrupted') return outcome
      // Unsubscribing sends a cancel through the relay: the provider's stream is torn down.
      subscription?.unsubscribe()
      console.error(`Cancelled ${service}.${method} after ${count} value${count === 1 ? '' : 's'} (Ctrl-C).`)
      return 130
    } finally {
      await session.close()
    }
  } catch (err) {
    if (err instanceof CliError) throw err
    // Waiting for a provider failed (MICROSERVICE_OFFLINE after --wait ms), or the mesh closed.
    console.error(describeError(err))
    return 1
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** `spider-mesh call`: one call, printed as JSON lines. */
export const callCommand: Command = {
  name: 'call',
  summary: 'Call a service method and print the result (streams: one JSON line per value).',
  usage: 'call <Service.method> [json-args...] [--relay <url>] [--timeout <ms>] [--wait <ms>] [--node <id>]',
  details: [
    `Each argument is one JSON value: numbers and true/false as they are, strings in JSON quotes`,
    `('"hi"' in a shell), objects as '{"a":1}'. Put -- before arguments that start with a dash.`,
    'Every value the call emits is printed on stdout as one line of JSON; a unary call prints one line.',
    'Errors print `CODE: message` on stderr and exit 1. Ctrl-C during a stream cancels the call at the',
    'provider (the relay forwards the cancel), prints a note on stderr and exits 130.',
  ].join('\n'),
  flags: [
    RELAY_FLAG,
    TOKEN_FLAG,
    {
      name: 'timeout',
      short: 't',
      type: 'number',
      placeholder: 'ms',
      default: '30000',
      description: 'Fail with MICROSERVICE_RPC_TIMEOUT when no value arrives for this long; 0 = never.',
    },
    {
      name: 'wait',
      short: 'w',
      type: 'number',
      placeholder: 'ms',
      default: '5000',
      description: 'How long to wait for the relay and for a provider before failing.',
    },
    {
      name: 'node',
      short: 'n',
      type: 'string',
      placeholder: 'id',
      description: 'Call this node instead of letting the relay round-robin.',
    },
  ],
  examples: [
    'spider-mesh call Greeter.hello \'"world"\'',
    'spider-mesh call Calc.add 1 2 --node calc-2',
    'spider-mesh call Clock.ticks 1000 --timeout 0     # Ctrl-C to stop',
    'spider-mesh call Orders.create \'{"sku":"A1","qty":2}\' --relay wss://relay.example.com',
  ],
  run: runCall,
}
