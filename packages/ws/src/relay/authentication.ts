/** The upgrade request as `authenticate` sees it, the same under both adapters. */
export interface AuthRequest {
  /** Path and query of the upgrade request. */
  url: string
  /** Request headers, names lower-cased. */
  headers: Record<string, string | undefined>
  /**
   * The token the node sent: `Authorization: Bearer <token>` (what the Node/Bun transporter sends),
   * else the `access_token` query parameter (what browsers and React Native send, since they cannot
   * set headers on a WebSocket).
   */
  token: string | undefined
  /** The peer's IP address, when the runtime tells it. */
  remoteAddress: string | undefined
}

/**
 * Decides who a connection is: returns its principal (any value but null, undefined or false, e.g.
 * `{ id, roles }`), or null/false — or throws — to refuse the upgrade with 401.
 */
export type Authenticate = (request: AuthRequest) => unknown

/** The outcome of authenticating one upgrade. */
export type AuthVerdict = { ok: true; principal: unknown } | { ok: false; reason: string }

/** Builds the adapter-neutral request from a URL, a header lookup and an address. */
export function authRequest(
  url: string,
  headers: Record<string, string | undefined>,
  remoteAddress: string | undefined,
): AuthRequest {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim()
  const token = bearer || new URL(url, 'http://relay').searchParams.get('access_token') || undefined
  return { url, headers, token, remoteAddress }
}

/** Runs the relay's `authenticate` hook (if any) and turns its answer into a verdict. */
export async function authenticateUpgrade(
  authenticate: Authenticate | undefined,
  request: AuthRequest,
): Promise<AuthVerdict> {
  if (!authenticate) return { ok: true, principal: undefined }
  try {
    const principal = await authenticate(request)
    if (principal === null || principal === undefined || principal === false) {
      return { ok: false, reason: request.token ? 'the token was refused' : 'no token was sent' }
    }
    return { ok: true, principal }
  } catch (err) {
    return { ok: false, reason: (err as Error)?.message ?? String(err) }
  }
}
