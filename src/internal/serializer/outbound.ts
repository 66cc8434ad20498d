/**
 * One walk over an outgoing message, shared by the three serializers: it refuses what no WAMP peer
 * can read (functions, symbols, class instances, cycles, BigInt where the format has no integer
 * wide enough) and rewrites what the encoder would get wrong (bytes in JSON, wide integers and
 * BigInt in msgpackr/cbor-x). Containers are copied only
 * along a path that changes, so the common message is returned as is, with no allocation.
 */

/** Thrown inside the walk only; the serializer turns it into an EncodeError. */
export class Unserializable extends Error {}

/** Cycles show up as depth: a bounded walk cannot loop. */
export const MAX_DEPTH = 512

export interface Rules {
  /** What a Uint8Array becomes (itself, for the binary serializers). */
  readonly bytes: (bytes: Uint8Array) => unknown
  /** What an integer outside [-2^31, 2^32) within 64 bits becomes; undefined: left as is. */
  readonly wideInteger: ((value: number) => unknown) | undefined
  /** What a BigInt becomes; throws `Unserializable` where the format cannot carry it. */
  readonly bigint: (value: bigint) => unknown
  /** JSON has no NaN/Infinity (stringify would silently write null). */
  readonly finiteOnly: boolean
  /**
   * Binary encoders would write `undefined` as nil inside dicts; drop such keys (and make list
   * items null) as JSON.stringify does, so every serializer sends the same message.
   */
  readonly rewriteUndefined: boolean
}

const TWO_POW_64 = 2 ** 64
const TWO_POW_63 = 2 ** 63

const describe = (value: object): string => {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === "string" && name !== "" ? `a ${name}` : "a non-plain object"
}

export const makeNormalizer = (rules: Rules): (message: ReadonlyArray<unknown>) => ReadonlyArray<unknown> => {
  const { bigint, bytes, finiteOnly, rewriteUndefined, wideInteger } = rules

  const visit = (value: unknown, depth: number): unknown => {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value
      case "number": {
        if (
          wideInteger !== undefined && (value > 0xffffffff || value < -0x80000000) && value < TWO_POW_64 &&
          value >= -TWO_POW_63 && Number.isInteger(value)
        ) return wideInteger(value)
        if (finiteOnly && !Number.isFinite(value)) throw new Unserializable(`${value} has no JSON form`)
        return value
      }
      case "bigint":
        return bigint(value)
      case "undefined":
        return rewriteUndefined ? null : value
      case "object": {
        if (value === null) return value
        if (depth >= MAX_DEPTH) throw new Unserializable(`nested deeper than ${MAX_DEPTH} levels (cyclic?)`)
        if (Array.isArray(value)) return visitList(value, depth + 1)
        if (value instanceof Uint8Array) return bytes(value)
        const proto = Object.getPrototypeOf(value)
        if (proto === Object.prototype || proto === null) return visitDict(value as Record<string, unknown>, depth + 1)
        throw new Unserializable(`cannot serialize ${describe(value)}`)
      }
      default:
        throw new Unserializable(`cannot serialize a ${typeof value}`)
    }
  }

  const visitList = (list: ReadonlyArray<unknown>, depth: number): ReadonlyArray<unknown> => {
    let copy: Array<unknown> | undefined
    for (let i = 0; i < list.length; i++) {
      const item = list[i]
      const next = visit(item, depth)
      if (copy !== undefined) copy.push(next)
      else if (next !== item) {
        copy = list.slice(0, i)
        copy.push(next)
      }
    }
    return copy ?? list
  }

  const visitDict = (dict: Record<string, unknown>, depth: number): Record<string, unknown> => {
    let copy: Record<string, unknown> | undefined
    for (const key in dict) {
      const item = dict[key]
      if (item === undefined && rewriteUndefined) {
        copy ??= copyBefore(dict, key)
        continue
      }
      const next = visit(item, depth)
      if (copy !== undefined) setKey(copy, key, next)
      else if (next !== item) setKey(copy = copyBefore(dict, key), key, next)
    }
    return copy ?? dict
  }

  return (message) => visitList(message, 0)
}

/** The entries of `dict` that come before `stop`, in order. */
const copyBefore = (dict: Record<string, unknown>, stop: string): Record<string, unknown> => {
  const copy: Record<string, unknown> = {}
  for (const key in dict) {
    if (key === stop) break
    setKey(copy, key, dict[key])
  }
  return copy
}

// A plain assignment to "__proto__" would change the copy's prototype instead of adding a key.
const setKey = (dict: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true })
  } else dict[key] = value
}
