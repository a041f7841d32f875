import { connect } from 'node:net'

// A greeting line is short (NATS's INFO is under 1 KiB); anything longer is not what we wait for.
const MAX_LINE_BYTES = 64 * 1024

/**
 * The first line a TCP server on 127.0.0.1:`port` sends after accepting (without the line end).
 * Rejects with the socket error (its `code` is e.g. `ECONNREFUSED`) when nothing listens, or
 * when the server closes or stays silent past `timeoutMs`.
 */
export function readFirstLine(port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let buffered = ''
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      outcome()
    }
    const fail = (why: string) => settle(() => reject(new Error(`127.0.0.1:${port} ${why}`)))
    const timer = setTimeout(() => fail(`sent no line within ${timeoutMs} ms`), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffered += chunk
      const newline = buffered.indexOf('\n')
      if (newline !== -1) settle(() => resolve(buffered.slice(0, newline).replace(/\r$/, '')))
      else if (buffered.length > MAX_LINE_BYTES) fail(`sent over ${MAX_LINE_BYTES} bytes without a line end`)
    })
    socket.on('error', (err) => settle(() => reject(err)))
    socket.on('close', () => fail('closed the connection before sending a line'))
  })
}

/** Whether connecting to 127.0.0.1:`port` is refused right now (nothing listens there). */
export async function connectionRefused(port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    await readFirstLine(port, timeoutMs)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED'
  }
}
