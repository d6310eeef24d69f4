/**
 * The fuzzy-watch pattern language as the 3.1.0 server reads it (`FuzzyGroupKeyPattern`): which patterns are
 * refused before sending, how the accepted ones match, and the text sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { FuzzyWatch } from "@effect-nacos/core"

const key = (group: string, name: string, namespace = "public") => ({ namespace, group, name })
const pattern = (groupPattern: string, namePattern: string, namespace = "public") => ({
  namespace,
  groupPattern,
  namePattern
})

describe("FuzzyWatch patterns", () => {
  it("accepts '*', prefix, suffix, contains and literals; refuses what the server would match wrongly or never", () => {
    for (const accepted of ["*", "app*", "*.yaml", "*orders*", "exact-name"]) {
      expect(FuzzyWatch.wildcardProblem(accepted)).toBeUndefined()
    }
    for (const refused of ["", "a*b", "**", "*a*b*", "x>>y", "a>b"]) {
      expect(FuzzyWatch.wildcardProblem(refused)).toEqual(expect.any(String))
    }
  })

  it("matches as the server's itemMatched does, with the namespace exact", () => {
    expect(FuzzyWatch.matches(pattern("*", "*"), key("G", "anything"))).toBe(true)
    expect(FuzzyWatch.matches(pattern("*", "*"), key("G", "anything", "dev"))).toBe(false)
    expect(FuzzyWatch.matches(pattern("DEFAULT_GROUP", "app*"), key("DEFAULT_GROUP", "app.yaml"))).toBe(true)
    expect(FuzzyWatch.matches(pattern("DEFAULT_GROUP", "app*"), key("DEFAULT_GROUP", "my-app"))).toBe(false)
    expect(FuzzyWatch.matches(pattern("DEFAULT_GROUP", "app*"), key("OTHER", "app.yaml"))).toBe(false)
    expect(FuzzyWatch.matches(pattern("*", "*.yaml"), key("G", "a.yaml"))).toBe(true)
    expect(FuzzyWatch.matches(pattern("*", "*.yaml"), key("G", "a.yaml.bak"))).toBe(false)
    expect(FuzzyWatch.matches(pattern("P*", "*ord*"), key("PROD", "svc-orders"))).toBe(true)
    expect(FuzzyWatch.matches(pattern("P*", "*ord*"), key("DEV", "svc-orders"))).toBe(false)
    expect(FuzzyWatch.matches(pattern("G", "exact"), key("G", "exact"))).toBe(true)
    expect(FuzzyWatch.matches(pattern("G", "exact"), key("G", "exactly"))).toBe(false)
  })

  it("is sent as namespace>>group>>name", () => {
    expect(FuzzyWatch.patternText(pattern("DEFAULT_GROUP", "app*", "dev"))).toBe("dev>>DEFAULT_GROUP>>app*")
  })
})
