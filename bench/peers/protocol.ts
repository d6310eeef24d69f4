/**
 * The one protocol every peer driver speaks, whatever its language: the harness writes one JSON command per line
 * on the driver's stdin, the driver answers each with one `reply` line on stdout (in order, one command at a time)
 * and may write `event` lines in between (a watched config changed). The first line is `ready`, once the client is
 * connected. Java and Python drivers follow the same shapes by hand; these Schemas are what the harness trusts.
 *
 * A driver is started as `<driver> <serverAddr> <workDir>` (`serverAddr` = `host:httpPort`, `workDir` its own
 * directory for caches and snapshots).
 */
import * as Schema from "effect/Schema"

const Key = { dataId: Schema.String, group: Schema.String }

/** Reads one existing config `requests` times, `inFlight` at a time; answers the latency of each. */
export const GetCommand = Schema.Struct({
  op: Schema.Literal("get"),
  ...Key,
  inFlight: Schema.Int,
  requests: Schema.Int
})

export const PublishCommand = Schema.Struct({ op: Schema.Literal("publish"), ...Key, content: Schema.String })

export const RemoveCommand = Schema.Struct({ op: Schema.Literal("remove"), ...Key })

/** Watches one config; the reply comes once the watch is registered, then every change is an `event` line. */
export const WatchCommand = Schema.Struct({ op: Schema.Literal("watch"), ...Key })

/**
 * Watches `count` configs `${prefix}${i}`; the reply comes when every watch is registered (events as for watch).
 * `style`: `perKey` (default) one watch per key — a Stream each for effect-nacos, a listener each for the Java and
 * Python clients; `listeners` one callback listener per key where the client also has that form (effect-nacos'
 * `listen`); `oneStream` all keys in one subscription where the client has one (effect-nacos' `watchMany`).
 */
export const WatchStyle = Schema.Literals(["perKey", "listeners", "oneStream"])
export type WatchStyle = typeof WatchStyle.Type

export const WatchManyCommand = Schema.Struct({
  op: Schema.Literal("watchMany"),
  prefix: Schema.String,
  group: Schema.String,
  count: Schema.Int,
  style: Schema.optional(WatchStyle)
})

/**
 * Watches `count` configs in `style` and drops them again before the measured watches, so that the code they
 * run is loaded and compiled first: in Node the heap holds compiled code too, which would count per watch. Only
 * the effect-nacos driver is sent it (a JVM keeps compiled code off its heap; Python compiles nothing).
 */
export const WarmUpCommand = Schema.Struct({
  op: Schema.Literal("warmUp"),
  prefix: Schema.String,
  group: Schema.String,
  count: Schema.Int,
  style: WatchStyle
})

/** The driver's heap in use after a full collection where the runtime can do one (Python: null). */
export const MemoryCommand = Schema.Struct({ op: Schema.Literal("memory") })

/** Closes the client cleanly; the driver exits after the reply. */
export const CloseCommand = Schema.Struct({ op: Schema.Literal("close") })

export const Command = Schema.Union([
  GetCommand,
  PublishCommand,
  RemoveCommand,
  WatchCommand,
  WatchManyCommand,
  WarmUpCommand,
  MemoryCommand,
  CloseCommand
])
export type Command = typeof Command.Type

export const ReadyLine = Schema.Struct({ type: Schema.Literal("ready"), client: Schema.String })

/** `get` answers `latenciesMicros` and `millis` (the whole batch); `memory` answers `heapBytes`. */
export const ReplyLine = Schema.Struct({
  type: Schema.Literal("reply"),
  ok: Schema.Boolean,
  error: Schema.optional(Schema.String),
  millis: Schema.optional(Schema.Number),
  latenciesMicros: Schema.optional(Schema.Array(Schema.Number)),
  errors: Schema.optional(Schema.Int),
  /** The first failure's message, when some gets failed. */
  firstError: Schema.optional(Schema.String),
  heapBytes: Schema.optional(Schema.NullOr(Schema.Number))
})
export type ReplyLine = typeof ReplyLine.Type

export const EventLine = Schema.Struct({
  type: Schema.Literal("event"),
  dataId: Schema.String,
  content: Schema.NullOr(Schema.String)
})
export type EventLine = typeof EventLine.Type

export const DriverLine = Schema.Union([ReadyLine, ReplyLine, EventLine])
export type DriverLine = typeof DriverLine.Type

export const decodeDriverLine = Schema.decodeUnknownSync(Schema.fromJsonString(DriverLine))
export const decodeCommand = Schema.decodeUnknownSync(Schema.fromJsonString(Command))
