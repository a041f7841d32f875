import { filter, firstValueFrom, type Observable, timeout } from 'rxjs'

/** Resolves with the promise's value, or rejects naming `what` when it takes longer than `ms`. */
export function within<T>(ms: number, what: string, promise: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([Promise.resolve(promise), deadline]).finally(() => clearTimeout(timer))
}

/** The first value of `source` that satisfies `predicate`, or a rejection naming `what` after `ms`. */
export function firstMatching<T>(
  source: Observable<T>,
  what: string,
  ms: number,
  predicate: (value: T) => boolean,
) {
  return firstValueFrom(
    source.pipe(
      filter(predicate),
      timeout({
        first: ms,
        with: () => {
          throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
        },
      }),
    ),
  )
}

/**
 * Re-checks an async condition until it holds or the deadline passes. For state that has no
 * event to wait on (e.g. relay table sizes); each check is a real round trip, not a sleep.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(
  promise: PromiseLike<unknown>,
): Promise<{ code?: string; message: string; delivered?: false }> {
  try {
    const value = await promise
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('expected a rejection')) throw err
    return err as { code?: string; message: string; delivered?: false }
  }
}
