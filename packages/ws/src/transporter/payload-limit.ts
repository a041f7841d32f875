/**
 * Why a payload cannot go to a relay that announced `limit` (its maxPayloadBytes, in Welcome), or
 * undefined when it fits: "<size> bytes; relay … accepts …", for the caller to put after "is" or
 * "are" (the arguments are, a result is). Frame headers are small: 3 bytes per UTF-16 unit of the names covers
 * any UTF-8, and 64 bytes the rest.
 */
export function payloadTooLarge(
  limit: number | undefined,
  url: string,
  payload: Uint8Array,
  nameLength: number,
): string | undefined {
  if (limit === undefined || payload.byteLength + 3 * nameLength + 64 <= limit) return undefined
  return `${payload.byteLength} bytes; relay ${url} accepts messages up to ${limit} bytes (maxPayloadBytes)`
}
