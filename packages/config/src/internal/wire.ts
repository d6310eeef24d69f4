/**
 * What the server sends, as Schemas (protocol reference §5.2, §7.3). Jackson omits nulls but some paths send
 * them, so every optional field also accepts `null`.
 */
import * as Schema from "effect/Schema"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `ConfigQueryResponse` over gRPC; also the `data` of `GET /v3/client/cs/config`. */
export const ConfigQueryResponse = Schema.Struct({
  content: nullable(Schema.String),
  encryptedDataKey: nullable(Schema.String),
  contentType: nullable(Schema.String),
  md5: nullable(Schema.String),
  lastModified: nullable(Schema.Number),
  beta: nullable(Schema.Boolean),
  tag: nullable(Schema.String)
})
export type ConfigQueryResponse = typeof ConfigQueryResponse.Type

/** Answer to `ConfigBatchListenRequest`: the listened keys whose server md5 differs from the one sent. */
export const ConfigChangeBatchListenResponse = Schema.Struct({
  changedConfigs: nullable(
    Schema.Array(Schema.Struct({ dataId: Schema.String, group: Schema.String, tenant: nullable(Schema.String) }))
  )
})

/** The `ConfigChangeNotifyRequest` push: only the key; the content is queried afterwards. */
export const ConfigChangeNotifyRequest = Schema.Struct({
  dataId: Schema.String,
  group: Schema.String,
  tenant: nullable(Schema.String)
})

/** Any successful answer whose body we do not need (publish, remove). */
export const Acknowledged = Schema.Struct({})
