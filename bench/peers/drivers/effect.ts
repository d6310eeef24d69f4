/**
 * Peer driver for effect-nacos: `ConfigService.layer` over `Nacos.layer`, used the way an application would (a
 * runtime built once, every operation an Effect run on it).
 *
 *   node --conditions=@effect-nacos/source --expose-gc bench/peers/drivers/effect.ts <serverAddr> <workDir>
 */
import * as path from "node:path"
import { type ConfigEvent, ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import { Deferred, Effect, Exit, Layer, ManagedRuntime, Scope, Stream } from "effect"
import { type DriverClient, driverArgs, serve } from "./lineDriver.ts"

const connect = async (): Promise<DriverClient> => {
  const { serverAddr, workDir } = driverArgs()
  const runtime = ManagedRuntime.make(
    ConfigService.layer.pipe(Layer.provide(Nacos.layer({ serverAddr, cacheDir: path.join(workDir, "nacos") })))
  )
  const config = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* ConfigService.ConfigService
    })
  )
  // the watches live here until close
  const watches = Scope.makeUnsafe()

  /** A key's first event resolves `registered`; every later Changed/Deleted is reported. */
  const handleEvent =
    (dataId: string, registered: Deferred.Deferred<void>, onChange: (dataId: string, content: string | null) => void) =>
    (event: ConfigEvent) =>
      Effect.suspend(() => {
        if (Deferred.isDoneUnsafe(registered)) {
          if (event._tag === "Changed") onChange(dataId, event.content)
          else if (event._tag === "Deleted") onChange(dataId, null)
          return Effect.void
        }
        return Deferred.succeed(registered, undefined)
      })

  /** Forks a watch (a Stream) of `dataId`. */
  const forkWatch = (
    dataId: string,
    group: string,
    registered: Deferred.Deferred<void>,
    onChange: (dataId: string, content: string | null) => void
  ) =>
    config
      .watch({ dataId, group })
      .pipe(Stream.runForEach(handleEvent(dataId, registered, onChange)), Effect.forkIn(watches))

  return {
    getBatch: ({ dataId, group, inFlight, requests }) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const latenciesMicros: Array<number> = []
          let errors = 0
          let firstError: string | undefined
          const one = Effect.suspend(() => {
            const begin = performance.now()
            return config.get({ dataId, group }).pipe(
              Effect.match({
                onFailure: (error) => {
                  errors++
                  firstError ??= error.message
                },
                onSuccess: () => {
                  latenciesMicros.push(Math.round((performance.now() - begin) * 1000))
                }
              })
            )
          })
          const begin = performance.now()
          yield* Effect.forEach(Array.from({ length: requests }), () => one, { concurrency: inFlight, discard: true })
          return {
            millis: performance.now() - begin,
            latenciesMicros,
            errors,
            ...(firstError === undefined ? {} : { firstError })
          }
        })
      ),
    publish: (dataId, group, content) => runtime.runPromise(config.publish({ dataId, group, content })),
    remove: (dataId, group) => runtime.runPromise(config.remove({ dataId, group })),
    watch: (dataId, group, onChange) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const registered = yield* Deferred.make<void>()
          yield* forkWatch(dataId, group, registered, onChange)
          yield* Deferred.await(registered)
        })
      ),
    watchMany: (dataIds, group, onChange) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const registrations = yield* Effect.forEach(dataIds, (dataId) =>
            Effect.flatMap(Deferred.make<void>(), (registered) =>
              Effect.as(forkWatch(dataId, group, registered, onChange), registered)
            )
          )
          yield* Effect.forEach(registrations, Deferred.await, { discard: true })
        })
      ),
    watchManyWithListeners: (dataIds, group, onChange) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const registrations = yield* Effect.forEach(dataIds, (dataId) =>
            Effect.gen(function* () {
              const registered = yield* Deferred.make<void>()
              yield* config
                .listen({ dataId, group }, handleEvent(dataId, registered, onChange))
                .pipe(Scope.provide(watches))
              return registered
            })
          )
          yield* Effect.forEach(registrations, Deferred.await, { discard: true })
        })
      ),
    watchManyInOneStream: (dataIds, group, onChange) =>
      runtime.runPromise(
        Effect.gen(function* () {
          // registered once every key has had its first event
          const waiting = new Set(dataIds)
          const registered = yield* Deferred.make<void>()
          yield* config.watchMany(dataIds.map((dataId) => ({ dataId, group }))).pipe(
            Stream.runForEach((event) =>
              Effect.suspend(() => {
                if (waiting.delete(event.dataId)) {
                  return waiting.size === 0 ? Deferred.succeed(registered, undefined) : Effect.void
                }
                if (event._tag === "Changed") onChange(event.dataId, event.content)
                else if (event._tag === "Deleted") onChange(event.dataId, null)
                return Effect.void
              })
            ),
            Effect.forkIn(watches)
          )
          yield* Deferred.await(registered)
        })
      ),
    close: async () => {
      // watches first (their listens are dropped on the server), then the connection
      await runtime.runPromise(Scope.close(watches, Exit.void))
      await runtime.dispose()
    }
  }
}

serve("effect-nacos", connect).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `effect driver failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exit(1)
  }
)
