import { createHash } from 'node:crypto'
import { ErrorCode, MeshError } from '@spider-mesh/core'
import { NameMatcher } from '../access-rules.js'

/** How long the relay keeps the messages of matching topics (the relay option `topics`). */
export interface TopicPolicy {
  /** How many of a topic's last messages are kept (an integer from 1 to 100000). */
  retain: number
  /** Messages older than this are dropped from the history (ms). Default: kept until pushed out. */
  ttlMs?: number
}

/** The relay option `topics`: retention per topic pattern (exact names or `*` patterns). */
export type TopicsOption = Record<string, TopicPolicy>

/** The largest `retain`: a replay is sent in one go, and memory holds `retain` messages per topic. */
export const MAX_RETAIN = 100_000

/** One entry of `topics`, compiled. */
export interface ResolvedTopicPolicy {
  readonly pattern: string
  /** A short, subject- and stream-name-safe key of the pattern (the JetStream stream per policy). */
  readonly key: string
  readonly retain: number
  readonly ttlMs: number | undefined
  readonly matcher: NameMatcher
}

function invalid(name: string, value: unknown, expected: string): MeshError {
  let shown: string
  try {
    shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))
  } catch {
    shown = String(value)
  }
  return new MeshError(
    ErrorCode.INVALID_OPTION,
    `Invalid WebsocketRelayServer option ${name}: ${shown}. Expected ${expected}.`,
  )
}

/** Validates the `topics` option; throws INVALID_OPTION naming the first bad entry. */
export function resolveTopics(topics: unknown): ResolvedTopicPolicy[] {
  if (topics === undefined) return []
  if (topics === null || typeof topics !== 'object' || Array.isArray(topics)) {
    throw invalid(
      'topics',
      topics,
      "an object { [topic pattern]: { retain, ttlMs? } }, e.g. { 'chat.*': { retain: 50 } }",
    )
  }
  return Object.entries(topics as Record<string, unknown>).map(([pattern, policy]) => {
    const where = `topics[${JSON.stringify(pattern)}]`
    if (pattern === '') throw invalid('topics', topics, 'non-empty topic patterns')
    if (policy === null || typeof policy !== 'object') {
      throw invalid(where, policy, 'an object { retain, ttlMs? }')
    }
    const { retain, ttlMs } = policy as Partial<TopicPolicy>
    if (!Number.isInteger(retain) || (retain as number) < 1 || (retain as number) > MAX_RETAIN) {
      throw invalid(`${where}.retain`, retain, `an integer from 1 to ${MAX_RETAIN}`)
    }
    if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 1)) {
      throw invalid(`${where}.ttlMs`, ttlMs, 'a positive integer number of milliseconds')
    }
    return {
      pattern,
      key: policyKey(pattern),
      retain: retain as number,
      ttlMs,
      matcher: new NameMatcher([pattern]),
    }
  })
}

/** The policy of a topic: the first entry (in object order) whose pattern matches it. */
export function policyOf(
  policies: readonly ResolvedTopicPolicy[],
  topic: string,
): ResolvedTopicPolicy | undefined {
  for (const policy of policies) if (policy.matcher.allows(topic)) return policy
  return undefined
}

/**
 * Patterns hold `.`, `*` and other characters that NATS subjects and stream names refuse; a
 * hash of the pattern is safe in both and keeps two patterns apart.
 */
function policyKey(pattern: string): string {
  return createHash('sha256').update(pattern).digest('hex').slice(0, 12)
}
