import { describe, expect, it } from "@effect/vitest"
import { makeKey } from "../src/internal/configKey.ts"
import { ConfigKeyMap } from "../src/internal/configKeyMap.ts"

describe("ConfigKeyMap", () => {
  it("tells keys apart by dataId, group and namespace, and counts them", () => {
    const map = new ConfigKeyMap<string>()
    map.set(makeKey("public", "a", undefined), "a@default")
    map.set(makeKey("public", "a", "g2"), "a@g2")
    map.set(makeKey("dev", "a", undefined), "a@dev")
    map.set(makeKey("public", "a", "DEFAULT_GROUP"), "a@default again")
    expect(map.size).toBe(3)
    expect(map.get(makeKey("public", "a", ""))).toBe("a@default again")
    expect(map.get(makeKey("public", "b", undefined))).toBeUndefined()
    expect(map.has(makeKey("dev", "a", "g2"))).toBe(false)
    expect([...map.values()]).toEqual(["a@default again", "a@g2", "a@dev"])
  })

  it("delete says whether the key was there and leaves the others", () => {
    const map = new ConfigKeyMap<number>()
    map.set(makeKey("public", "a", "g"), 1)
    map.set(makeKey("public", "b", "g"), 2)
    expect(map.delete(makeKey("public", "a", "g"))).toBe(true)
    expect(map.delete(makeKey("public", "a", "g"))).toBe(false)
    expect(map.delete(makeKey("other", "a", "g"))).toBe(false)
    expect(map.size).toBe(1)
    expect(map.delete(makeKey("public", "b", "g"))).toBe(true)
    expect(map.size).toBe(0)
    expect([...map.values()]).toEqual([])
    map.set(makeKey("public", "b", "g"), 3)
    expect(map.get(makeKey("public", "b", "g"))).toBe(3)
    map.clear()
    expect(map.size).toBe(0)
    expect(map.has(makeKey("public", "b", "g"))).toBe(false)
  })
})
