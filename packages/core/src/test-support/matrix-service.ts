import { EMPTY, finalize, interval, Observable, of, take, throwError } from 'rxjs'
import { Microservice } from '../api/microservice.js'

/** An error subclass with a code, as applications write them. */
export class ValidationError extends Error {
  readonly code = 'VALIDATION_FAILED'
  constructor(message: string) {
    super(message)
    this.name = 'ValidationError'
  }
}

/** Every return and error shape a provider can produce; shared by unit tests. */
@Microservice({ name: 'Matrix' })
export class MatrixService {
  /** Counts teardowns of endless streams, so tests can prove cancellation reached the provider. */
  stopped = 0
  started = 0

  syncValue(n: number) {
    return n * 2
  }
  async asyncValue(n: number) {
    return n * 3
  }
  observable(count: number) {
    return of(...Array.from({ length: count }, (_, i) => i))
  }
  async asyncObservable(count: number) {
    return of(...Array.from({ length: count }, (_, i) => i * 10))
  }
  empty() {
    return EMPTY
  }
  syncThrow(): number {
    throw new Error('sync boom')
  }
  async rejection(): Promise<number> {
    throw new Error('async boom')
  }
  errorBeforeValues(): Observable<number> {
    return throwError(() => new Error('stream boom'))
  }
  errorAfterValues(): Observable<number> {
    return new Observable<number>((s) => {
      s.next(1)
      s.next(2)
      s.error(Object.assign(new Error('late boom'), { code: 'LATE' }))
    })
  }
  throwCodeObject(): never {
    throw { code: 'E_OBJ', message: 'object thrown' }
  }
  throwString(): never {
    throw 'plain string'
  }
  throwWithCode(): never {
    throw Object.assign(new Error('coded'), { code: 'E_CODED' })
  }
  throwSubclass(): never {
    throw new ValidationError('bad input')
  }
  throwNumber(): never {
    throw 42
  }
  echo(...args: unknown[]) {
    return args
  }
  one(value: unknown) {
    return value
  }
  noArgs() {
    return 'none'
  }
  endless(): Observable<number> {
    this.started++
    return interval(5).pipe(finalize(() => this.stopped++))
  }
  slow(ms: number) {
    return new Promise((resolve) => setTimeout(() => resolve('late'), ms))
  }
  ordered(count: number) {
    return interval(0).pipe(take(count))
  }
  unserialisable() {
    return { fn: () => 1 }
  }
  withDefault(a: number, b = 2) {
    return a + b
  }
  _private() {
    return 'secret'
  }
  warmUp() {
    return undefined
  }
}
