/**
 * The names the client's spans and log lines carry, and the one way the library annotates its logs: every line
 * has `nacos.module` (`config`, `naming`, `ai`, or a core part such as `auth`), so a user's logger can route or
 * filter the client's lines. Spans name what an operation touched with the attribute keys below; no token,
 * password, signature or config content is ever one of them.
 *
 * @since 0.1.0
 * @module
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"

/**
 * The log annotation (and span attribute) naming the part of the client a line comes from.
 *
 * @category annotations
 * @since 0.1.0
 */
export const ModuleKey = "nacos.module"

/**
 * The span attribute with a gRPC request's type (e.g. `ConfigQueryRequest`).
 *
 * @category annotations
 * @since 0.1.0
 */
export const RequestTypeKey = "nacos.request.type"

/**
 * The span attribute with the namespace an operation runs in.
 *
 * @category annotations
 * @since 0.1.0
 */
export const NamespaceKey = "nacos.namespace"

/**
 * The span attributes with the server a request went to (OpenTelemetry's `server.address` / `server.port`).
 *
 * @category annotations
 * @since 0.1.0
 */
export const ServerAddressKey = "server.address"

/**
 * @category annotations
 * @since 0.1.0
 */
export const ServerPortKey = "server.port"

/**
 * Annotates every log line of `self` (and of the fibers it forks) with `nacos.module = module`.
 *
 * @category annotations
 * @since 0.1.0
 */
export const withModule =
  (module: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    // already annotated (a service call wrapping its requests): no second copy of the fiber's context per call
    Effect.withFiber((fiber) =>
      fiber.getRef(References.CurrentLogAnnotations)[ModuleKey] === module
        ? self
        : Effect.annotateLogs(self, ModuleKey, module)
    )

/**
 * The trace options of the library's hot-path spans (every request, get, publish, push): no stack is captured
 * for them. `Effect.fn` builds an `Error` on every call to record the call site; at thousands of calls a
 * second that is a measurable share of the CPU, and the span names and attributes already say where a call
 * came from.
 *
 * @category annotations
 * @since 0.1.0
 */
export const hotPath: Tracer.TraceOptions = { captureStackTrace: false }

/** With Effect's own `nativeTracer` no backend is installed: nobody can see a span, so hot paths make none. */
const tracing = (fiber: { readonly getRef: <A>(reference: Context.Reference<A>) => A }) =>
  fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

/**
 * A hot-path span ({@link hotPath}: no stack capture), made only when a tracing backend is installed: without
 * one, a span is an object, a context copy and an exit hook on every call that no one can observe.
 *
 * @category annotations
 * @since 0.1.0
 */
export const hotSpan =
  (name: string, options?: Tracer.SpanOptionsNoTrace) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => (tracing(fiber) ? self.pipe(Effect.withSpan(name, options, hotPath)) : self))

/**
 * Annotates the current {@link hotSpan}; nothing without a tracing backend (there is then no span of ours to
 * annotate, and the caller's must not get our attributes).
 *
 * @category annotations
 * @since 0.1.0
 */
export const annotateHotSpan = (attributes: Readonly<Record<string, unknown>>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => (tracing(fiber) ? Effect.annotateCurrentSpan(attributes) : Effect.void))

/**
 * A span open for as long as the scope lives, when a tracing backend is installed (see {@link hotSpan}); `None`
 * without one. `options` is called only then.
 *
 * @category annotations
 * @since 0.1.0
 */
export const hotSpanScoped = (
  name: string,
  options: () => Tracer.SpanOptionsNoTrace
): Effect.Effect<Option.Option<Tracer.Span>, never, Scope.Scope> =>
  Effect.withFiber((fiber) =>
    tracing(fiber) ? Effect.map(Effect.makeSpanScoped(name, options()), Option.some) : Effect.succeedNone
  )
