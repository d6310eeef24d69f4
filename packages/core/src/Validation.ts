/**
 * Input validation shared by every service: decodes the caller's params with the model Schemas and turns the first
 * problem into an `InvalidArgumentError` naming the field, before anything is sent.
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { InvalidArgumentError } from "./NacosError.ts"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first problem of a failed decode: its dotted path ("" at the top) and its message. */
const firstProblem = (error: Schema.SchemaError): { readonly path: string; readonly message: string } => {
  const first = formatter(error.issue).issues[0]
  const path = (first?.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment))
  return { path: path.join("."), message: first?.message ?? error.message }
}

/**
 * Decodes `input` with `schema`; a failure is an `InvalidArgumentError` whose field is the offending path
 * (`params` when the input as a whole is wrong).
 *
 * @example
 * ```ts
 * import { Validation } from "@effect-nacos/core"
 * import * as Schema from "effect/Schema"
 *
 * const Params = Schema.Struct({ port: Schema.Int })
 * const checked = Validation.validate(Params, { port: 8080 })
 * ```
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  input: S["Type"]
): Effect.Effect<S["Type"], InvalidArgumentError> =>
  Schema.decodeUnknownEffect(schema)(input).pipe(
    Effect.mapError((error) => {
      const problem = firstProblem(error)
      const field = problem.path === "" ? "params" : problem.path
      return new InvalidArgumentError({ field, message: `${field} ${problem.message}` })
    })
  )

/**
 * Decodes one value that is not the caller's params (e.g. what a filter returned) and names it as `field`;
 * `label` says where the value came from.
 *
 * @example
 * ```ts
 * import { Validation } from "@effect-nacos/core"
 * import * as Schema from "effect/Schema"
 *
 * const checked = Validation.validateValue(Schema.NonEmptyString, "x", "content", "the filtered content")
 * ```
 *
 * @category validation
 * @since 0.1.0
 */
export const validateValue = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  input: S["Type"],
  field: string,
  label: string
): Effect.Effect<S["Type"], InvalidArgumentError> =>
  Schema.decodeUnknownEffect(schema)(input).pipe(
    Effect.mapError((error) => new InvalidArgumentError({ field, message: `${label} ${firstProblem(error).message}` }))
  )
