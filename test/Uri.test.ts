import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as Uri from "../src/Uri.js"
import { arbitraryPatternUri, arbitraryUri } from "./support/arbitraries.js"

type Row = readonly [uri: string, loose: boolean, withEmpty: boolean, prefix: boolean, strict: boolean]

// uri, isLoose, isLooseWithEmpty, isLoosePrefix, isStrict
const table: ReadonlyArray<Row> = [
  ["com.myapp.topic1", true, true, true, true],
  ["realm1", true, true, true, true],
  ["a", true, true, true, true],
  ["com.my_app.v2", true, true, true, true],
  ["com.MyApp.Topic", true, true, true, false],
  ["com.my-app:x.é", true, true, true, false],
  ["wamp.error.no_such_procedure", true, true, true, true],
  ["com.myapp.", false, true, true, false],
  ["com..topic", false, true, false, false],
  [".com.myapp", false, true, false, false],
  ["..", false, true, false, false],
  ["", false, true, true, false],
  ["com.my app", false, false, false, false],
  ["com.my\tapp", false, false, false, false],
  ["com.my\u00a0app", false, false, false, false],
  ["com.#", false, false, false, false],
  ["com.my#app", false, false, false, false],
  [" com.app", false, false, false, false],
  ["com.app\n", false, false, false, false]
]

describe("Uri predicates", () => {
  for (const [uri, loose, withEmpty, prefix, strict] of table) {
    it(JSON.stringify(uri), () => {
      expect(Uri.isLoose(uri)).toBe(loose)
      expect(Uri.isLooseWithEmpty(uri)).toBe(withEmpty)
      expect(Uri.isLoosePrefix(uri)).toBe(prefix)
      expect(Uri.isStrict(uri)).toBe(strict)
    })
  }

  it("strict pattern forms", () => {
    expect(Uri.isStrictWithEmpty("com..update")).toBe(true)
    expect(Uri.isStrictWithEmpty("com..Update")).toBe(false)
    expect(Uri.isStrictPrefix("com.myapp.")).toBe(true)
    expect(Uri.isStrictPrefix("com..myapp")).toBe(false)
  })

  it.prop("every loose URI is also a valid prefix and wildcard pattern", [arbitraryUri], ([uri]) => {
    expect(Uri.isLoose(uri)).toBe(true)
    expect(Uri.isLoosePrefix(uri)).toBe(true)
    expect(Uri.isLooseWithEmpty(uri)).toBe(true)
  })

  it.prop("patterns generated for topics are wildcard-valid", [arbitraryPatternUri], ([uri]) => {
    expect(Uri.isValid(uri, "wildcard")).toBe(true)
  })

  it.prop("a URI with whitespace or # is never valid", [
    arbitraryUri,
    fc.constantFrom(" ", "\t", "\n", "#", "\u2003")
  ], ([uri, bad]) => {
    const broken = `${uri}${bad}x`
    for (const match of ["exact", "prefix", "wildcard"] as const) expect(Uri.isValid(broken, match)).toBe(false)
  })
})

describe("Uri.validate", () => {
  it("defaults to exact", () => {
    expect(Uri.validate("com.app.proc")).toStrictEqual(Either.right("com.app.proc"))
    expect(Either.isLeft(Uri.validate("com.app."))).toBe(true)
  })

  it("follows the match policy", () => {
    expect(Either.isRight(Uri.validate("com.app.", "prefix"))).toBe(true)
    expect(Either.isLeft(Uri.validate("com..proc", "prefix"))).toBe(true)
    expect(Either.isRight(Uri.validate("com..proc", "wildcard"))).toBe(true)
    expect(Either.isLeft(Uri.validate("com..proc", "exact"))).toBe(true)
  })

  it("explains the failure", () => {
    const result = Uri.validate("com.my app", "exact")
    expect(result).toStrictEqual(Either.left(expect.stringContaining("\"com.my app\"")))
    expect(Uri.validate(42)).toStrictEqual(Either.left("URI must be a string, got number"))
  })

  it("isReserved", () => {
    expect(Uri.isReserved("wamp.session.on_join")).toBe(true)
    expect(Uri.isReserved("wamp")).toBe(true)
    expect(Uri.isReserved("wampy.x")).toBe(false)
    expect(Uri.isReserved("com.wamp")).toBe(false)
  })
})
