/**
 * The watches of re-read values (agent cards, MCP servers) shared by key: however many Streams watch one agent
 * (and version), there is one entry — one first read, one poll, one push subscription, one re-read per push —
 * and each watcher is a callback in the entry's fan-out and a Stream with one pending array. The entry goes when
 * its last watcher does.
 *
 * Per watch this costs the consumer's own fiber and stream (the Effect 4 floor, ~2.2 KiB) and a few hundred bytes;
 * per watched value, one suspended poll fiber, the push subscription and the value itself.
 */
import { FanOut } from "@effect-nacos/core"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import type * as Stream from "effect/Stream"

/**
 * Where the pushes saying "read again now" come from for one value read: `key` names the source (a watch whose
 * value moves to another source, e.g. a version-less watch to a new latest version, switches to it). `listen`
 * calls `onPush` on every push (and once when it starts listening, as a naming subscription's first event does)
 * until its scope closes.
 */
export interface PushSource {
  readonly key: string
  readonly listen: (onPush: () => void) => Effect.Effect<void, never, Scope.Scope>
}

export const NO_PUSHES: PushSource = { key: "", listen: () => Effect.void }

/** How one watched value is read and followed; made only for the first watcher of its key. */
export interface Source<A, E> {
  readonly label: string
  readonly read: Effect.Effect<A, E>
  readonly schedule: Schedule.Schedule<unknown>
  readonly pushesOf: (value: A) => PushSource
}

export interface WatchRegistry<A, E> {
  /**
   * The value of `key` first, then every change of it (deduplicated); fails with the first read's failure, or a
   * later one `isFinal` says will never work. `source` is called only when no watch of `key` is live.
   */
  readonly follow: (key: string, source: () => Source<A, E>) => Stream.Stream<A, E>
  /** How many keys are watched now. */
  readonly size: () => number
}

/** The pauses before each re-read after a push (ms): at once, then at 0.6 s, 1.5 s and 3 s. */
export const PUSH_REREADS: ReadonlyArray<number> = [0, 600, 900, 1500]

/**
 * A registry whose entries run in `context` (the layer's: the first watcher's services are not the shared
 * entry's) and are all closed with the scope.
 */
export const make = <A, E extends { readonly _tag: string; readonly message: string }>(options: {
  readonly isFinal: (error: E) => boolean
}): Effect.Effect<WatchRegistry<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>()
    const entries = new Map<string, Entry<A, E>>()
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const open = [...entries.values()]
        entries.clear()
        return Effect.forEach(open, (entry) => entry.close, { discard: true })
      })
    )
    const follow = (key: string, source: () => Source<A, E>): Stream.Stream<A, E> =>
      FanOut.streamResults<A, E, never, never>((sink, scope) =>
        Effect.suspend(() => Scope.addFinalizer(scope, attach(key, source, sink)))
      )

    /** Follows the key's entry (made on first use) with `sink`; returns what undoes it, the last one closing it. */
    const attach = (key: string, source: () => Source<A, E>, sink: FanOut.Sink<Result.Result<A, E>>) => {
      let entry = entries.get(key)
      if (entry === undefined) {
        const created = new Entry<A, E>(source(), context, options.isFinal, () => {
          if (entries.get(key) === created) entries.delete(key)
        })
        entries.set(key, created)
        entry = created
        created.start()
      }
      const followed = entry
      followed.values.subscribeUnsafe(sink)
      return Effect.suspend(() => {
        followed.values.unsubscribeUnsafe(sink)
        if (followed.values.followers() > 0) return Effect.void
        followed.forget()
        return followed.close
      })
    }
    return { follow, size: () => entries.size }
  })

/** One watched value: its last read (or the failure that ended it) and its watchers, its poll and pushes. */
class Entry<A, E extends { readonly _tag: string; readonly message: string }> {
  readonly values = FanOut.make<Result.Result<A, E>>()
  private readonly rereads = Semaphore.makeUnsafe(1)
  private driver: Fiber.Fiber<void> | undefined
  private burst: Fiber.Fiber<void> | undefined
  private sourceKey: string | undefined
  private sourceScope: Scope.Closeable | undefined
  /** The current source has sent its first signal. */
  private signalled = false
  private closed = false
  private readonly source: Source<A, E>
  private readonly context: Context.Context<never>
  private readonly isFinal: (error: E) => boolean
  /** Takes the entry out of the registry: later watchers start a new one. */
  readonly forget: () => void
  constructor(
    source: Source<A, E>,
    context: Context.Context<never>,
    isFinal: (error: E) => boolean,
    forget: () => void
  ) {
    this.source = source
    this.context = context
    this.isFinal = isFinal
    this.forget = forget
  }

  start() {
    this.driver = Effect.runForkWith(this.context)(this.drive())
  }

  /** The first read, then a re-read at each step of the schedule. */
  private drive(): Effect.Effect<void> {
    const entry = this
    return Effect.gen(function* () {
      const first = yield* Effect.result(entry.source.read)
      if (Result.isFailure(first)) return entry.fail(first.failure)
      // published before the pushes are followed: their first re-read compares with it
      entry.values.publishUnsafe(first)
      yield* entry.followSource(first.success)
      const step = yield* Schedule.toStepWithSleep(entry.source.schedule)
      while (true) {
        // the schedule's end (a failed step) ends the polling; pushes still re-read
        if (Exit.isFailure(yield* Effect.exit(step(undefined)))) return
        yield* entry.reread
      }
    })
  }

  /** One read at a time (the poll and a push's re-reads): a slower older read never overwrites a newer one. */
  private get reread(): Effect.Effect<void> {
    return this.rereads.withPermits(1)(
      Effect.suspend(() => {
        if (this.closed) return Effect.void
        return Effect.flatMap(Effect.result(this.source.read), (answer) => {
          if (Result.isFailure(answer)) {
            if (this.isFinal(answer.failure)) return Effect.sync(() => this.fail(answer.failure))
            return Effect.logWarning(
              `${this.source.label}: read failed (${answer.failure.message}); trying again later`
            )
          }
          const current = this.values.current()
          if (
            current._tag === "Some" &&
            Result.isSuccess(current.value) &&
            JSON.stringify(current.value.success) === JSON.stringify(answer.success)
          ) {
            return Effect.void
          }
          return Effect.andThen(
            this.followSource(answer.success),
            Effect.sync(() => this.values.publishUnsafe(answer))
          )
        })
      })
    )
  }

  /** Listens to the pushes of `value`'s source, unless already listening to it. */
  private followSource(value: A): Effect.Effect<void> {
    const next = this.source.pushesOf(value)
    if (next.key === this.sourceKey) return Effect.void
    const listening = next.key
    const previous = this.sourceScope
    const scope = Scope.makeUnsafe()
    this.sourceKey = next.key
    this.sourceScope = scope
    this.signalled = false
    return Effect.andThen(
      previous === undefined ? Effect.void : Scope.close(previous, Exit.void),
      Scope.provide(
        next.listen(() => this.pushed(this.sourceKey === listening)),
        scope
      )
    )
  }

  /**
   * A push: read now and a few times more (the server's query can lag its push); a newer push starts over. A
   * source's first signal (it says "listening", not "changed") is one read at once, for a change between the read
   * and the subscription: not a burst per watched value on the server.
   */
  private pushed(current: boolean) {
    if (this.closed || !current) return
    const first = !this.signalled
    this.signalled = true
    const previous = this.burst
    const rereads = first
      ? this.reread
      : Effect.forEach(PUSH_REREADS, (pause) => Effect.andThen(Effect.sleep(pause), this.reread), { discard: true })
    // a fiber may finish before `runForkWith` returns: it is kept only while it runs
    let done = false
    let fiber: Fiber.Fiber<void> | undefined
    fiber = Effect.runForkWith(this.context)(
      Effect.andThen(previous === undefined ? Effect.void : Fiber.interrupt(previous), rereads).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            done = true
            if (fiber !== undefined && this.burst === fiber) this.burst = undefined
          })
        )
      )
    )
    if (!done) this.burst = fiber
  }

  /** A failure that ends the watch: every watcher's stream fails with it, and the next watch starts anew. */
  private fail(error: E) {
    this.forget()
    this.values.publishUnsafe(Result.fail(error))
  }

  /** Stops the poll, a push's re-reads and the push subscription. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.void
      this.closed = true
      const fibers = [this.driver, this.burst].filter((fiber) => fiber !== undefined)
      const scope = this.sourceScope
      this.driver = undefined
      this.burst = undefined
      this.sourceScope = undefined
      return Effect.andThen(
        Fiber.interruptAll(fibers),
        scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
      )
    })
  }
}
