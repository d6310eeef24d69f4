/**
 * Prompts (Nacos 3.2+): a versioned template with `{{variable}}` placeholders, and its rendering.
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * A variable of a prompt; a `defaultValue` of `null` (or none) means the caller must give it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const PromptVariable = Schema.Struct({
  name: Schema.String,
  defaultValue: nullable(Schema.String),
  description: nullable(Schema.String)
})
/**
 * @since 0.1.0
 */
export type PromptVariable = typeof PromptVariable.Type

/**
 * A prompt as the server serves it (`QueryPromptResponse.promptInfo`, the `data` of `GET /v3/client/ai/prompt`).
 * `md5` identifies the content of the version: the next query sends it, and the server answers "not modified".
 *
 * @category schemas
 * @since 0.1.0
 */
export const Prompt = Schema.Struct({
  promptKey: Schema.String,
  version: nullable(Schema.String),
  template: nullable(Schema.String),
  md5: nullable(Schema.String),
  variables: nullable(Schema.Array(PromptVariable))
})
/**
 * @since 0.1.0
 */
export type Prompt = typeof Prompt.Type

/**
 * The template with its placeholders filled, by the rule of the Java and Python clients: the variables' default
 * values first, the caller's `values` over them; every literal `{{name}}` of a known name is replaced (a `null`
 * value by the empty string); placeholders with no value are left as they are. No escaping, nesting or
 * whitespace inside the braces. A prompt without a template renders as `undefined`.
 *
 * @category rendering
 * @since 0.1.0
 */
export const render = (
  prompt: Prompt,
  values: Readonly<Record<string, string | null | undefined>> = {}
): string | undefined => {
  if (prompt.template === undefined || prompt.template === null) return undefined
  const merged = new Map<string, string | null | undefined>()
  for (const variable of prompt.variables ?? []) {
    if (variable.defaultValue !== undefined && variable.defaultValue !== null) {
      merged.set(variable.name, variable.defaultValue)
    }
  }
  for (const [name, value] of Object.entries(values)) merged.set(name, value)
  let rendered = prompt.template
  for (const [name, value] of merged) rendered = rendered.replaceAll(`{{${name}}}`, value ?? "")
  return rendered
}

/** A prompt key: not blank. */
const PromptKey = Schema.String.check(Schema.makeFilter((key: string) => key.trim() !== "" || "must not be blank"))

/** `a.b.c`, as the server's publish rule (`PromptVersionUtils`). */
const PromptVersion = Schema.String.check(Schema.isPattern(/^\d+\.\d+\.\d+$/, { message: "must look like 1.2.3" }))

const Label = Schema.String.check(Schema.makeFilter((label: string) => label.trim() !== "" || "must not be blank"))

/**
 * `getPrompt` / `watchPrompt`: a version wins over a label, a label over the latest (the server's order).
 *
 * @category schemas
 * @since 0.1.0
 */
export const GetPromptParams = Schema.Struct({
  key: PromptKey,
  version: Schema.optionalKey(PromptVersion),
  label: Schema.optionalKey(Label)
})
/**
 * @since 0.1.0
 */
export type GetPromptParams = typeof GetPromptParams.Type

/**
 * What `watchPrompt` emits: the prompt (first, then on every change of its content), `Absent` (first only: no
 * such prompt yet) or `Deleted` (it went away while watched).
 *
 * @category models
 * @since 0.1.0
 */
export type PromptEvent =
  | { readonly _tag: "Changed"; readonly prompt: Prompt }
  | { readonly _tag: "Absent"; readonly key: string }
  | { readonly _tag: "Deleted"; readonly key: string }

/**
 * A prompt version to put in the store. Its md5 is the template's unless given.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryPrompt {
  readonly key: string
  readonly version: string
  readonly template: string
  readonly variables?: ReadonlyArray<PromptVariable> | undefined
  /** Labels that route to this version (e.g. `stable`). */
  readonly labels?: ReadonlyArray<string> | undefined
  /** Make this version the latest (default true). */
  readonly latest?: boolean | undefined
}
