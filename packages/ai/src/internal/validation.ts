/**
 * Input validation: decodes the caller's params with the model Schemas and turns the first problem into an
 * `InvalidArgumentError` naming the field, before anything is sent. (The same few lines as config's: small
 * enough to copy rather than share.)
 */
import { InvalidArgumentError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const toInvalidArgument = (error: Schema.SchemaError): InvalidArgumentError => {
  const first = formatter(error.issue).issues[0]
  const path = (first?.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment))
  const field = path.length === 0 ? "params" : path.join(".")
  return new InvalidArgumentError({ field, message: `${field} ${first?.message ?? error.message}` })
}

/** Decodes `input` with `schema`; a failure names the offending field. */
export const validate = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  input: S["Type"]
): Effect.Effect<S["Type"], InvalidArgumentError> =>
  Schema.decodeUnknownEffect(schema)(input).pipe(Effect.mapError(toInvalidArgument))
