/** The transporter's `token` option: a string, or a function (maybe async) asked per attempt. */
export type TokenOption = string | (() => string | Promise<string>)

/**
 * Gets the token for one connection attempt: a function is asked afresh every time, because
 * tokens expire. `use` receives the token (undefined without one); `failed` what went wrong.
 */
export function withToken(
  token: TokenOption | undefined,
  use: (token: string | undefined) => void,
  failed: (err: unknown) => void,
): void {
  if (typeof token !== 'function') {
    use(token)
    return
  }
  let pending: string | Promise<string>
  try {
    pending = token()
  } catch (err) {
    failed(err)
    return
  }
  Promise.resolve(pending).then(use, failed)
}
