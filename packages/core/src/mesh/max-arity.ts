/**
 * How many arguments a function accepts, read from its source: `fn.length` cannot be used because
 * it stops at the first default value and ignores rest parameters. Returns Infinity for rest
 * parameters, `arguments`, or source it cannot read (native or bound functions), so the check it
 * feeds is never stricter than the function itself.
 */
export function maxArity(fn: Function): number {
  let src: string
  try {
    src = Function.prototype.toString.call(fn)
  } catch {
    return Number.POSITIVE_INFINITY
  }
  if (src.includes('[native code]') || /\barguments\b/.test(src)) return Number.POSITIVE_INFINITY
  const open = src.indexOf('(')
  if (open < 0) return Number.POSITIVE_INFINITY
  let depth = 0
  let commas = 0
  let pending = false
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i]!
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(src, i)
      pending = true
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 1
      if (i === 0) return Number.POSITIVE_INFINITY
    } else if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i)
      if (i < 0) return Number.POSITIVE_INFINITY
    } else if (c === '(' || c === '[' || c === '{') {
      depth++
      pending = true
    } else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return commas + (pending ? 1 : 0)
      depth--
    } else if (c === '.' && depth === 0 && src.startsWith('...', i)) {
      return Number.POSITIVE_INFINITY
    } else if (c === ',' && depth === 0) {
      commas++
      pending = false
    } else if (c.trim() !== '') {
      pending = true
    }
  }
  return Number.POSITIVE_INFINITY
}

function skipString(src: string, start: number): number {
  const quote = src[start]
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++
    else if (src[i] === quote) return i
  }
  return src.length
}
