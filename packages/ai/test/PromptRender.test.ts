import { describe, expect, it } from "@effect/vitest"
import { PromptModels } from "@effect-nacos/ai"

const prompt = (template: string | null, variables?: PromptModels.Prompt["variables"]): PromptModels.Prompt => ({
  promptKey: "k",
  version: "1.0.0",
  template,
  ...(variables === undefined ? {} : { variables })
})

describe("PromptModels.render (the Java/Python rule)", () => {
  it("fills defaults first, lets the caller win, leaves unknown placeholders", () => {
    const p = prompt("{{a}} {{b}} {{c}} {{a}}", [
      { name: "a", defaultValue: "A" },
      { name: "b", defaultValue: "B" },
      { name: "c", defaultValue: null }
    ])
    expect(PromptModels.render(p, { b: "caller" })).toBe("A caller {{c}} A")
  })

  it("a null value becomes the empty string; no whitespace or nesting inside the braces", () => {
    expect(PromptModels.render(prompt("[{{x}}] [{{ x }}] [{{{x}}}]"), { x: null })).toBe("[] [{{ x }}] [{}]")
  })

  it("a prompt without a template renders as undefined; without values the template is unchanged", () => {
    expect(PromptModels.render(prompt(null), { a: "x" })).toBeUndefined()
    expect(PromptModels.render(prompt("{{a}}"))).toBe("{{a}}")
  })
})
