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
import type { WatchStyle } from "../protocol.ts"
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

  type OnChange = (dataId: string, content: string | null) => void
  const report = (onChange: OnChange, dataId: string, event: ConfigEvent) => {
    if (event._tag === "Changed") onChange(dataId, event.content)
    else if (event._tag === "Deleted") onChange(dataId, null)
  }

  /**
   * Watches `dataIds` in `style` in `scope`; done once every key has had its first event, every later
   * Changed/Deleted is reported. Per key the driver keeps what a Java listener keeps — one handler naming its key
   * (and whether its first event came) — and one counter for all: what is measured is the client.
   */
  const watchAll = (
    dataIds: ReadonlyArray<string>,
    group: string,
    style: WatchStyle,
    scope: Scope.Scope,
    onChange: OnChange
  ) =>
    Effect.gen(function* () {
      const registered = yield* Deferred.make<void>()
      let waiting = dataIds.length
      const firstSeen = () => (--waiting === 0 ? Deferred.succeed(registered, undefined) : Effect.void)
      if (style === "oneStream") {
        const seen = new Set<string>()
        yield* config.watchMany(dataIds.map((dataId) => ({ dataId, group }))).pipe(
          Stream.runForEach((event) =>
            Effect.suspend(() => {
              if (seen.has(event.dataId)) {
                report(onChange, event.dataId, event)
                return Effect.void
              }
              seen.add(event.dataId)
              return firstSeen()
            })
          ),
          Effect.forkIn(scope)
        )
      } else {
        for (const dataId of dataIds) {
          let first = true
          const handler = (event: ConfigEvent) =>
            Effect.suspend(() => {
              if (!first) {
                report(onChange, dataId, event)
                return Effect.void
              }
              first = false
              return firstSeen()
            })
          if (style === "listeners") yield* config.listen({ dataId, group }, handler).pipe(Scope.provide(scope))
          else yield* config.watch({ dataId, group }).pipe(Stream.runForEach(handler), Effect.forkIn(scope))
        }
      }
      yield* Deferred.await(registered)
    })

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
    watch: (dataId, group, onChange) => runtime.runPromise(watchAll([dataId], group, "perKey", watches, onChange)),
    watchMany: (dataIds, group, onChange) => runtime.runPromise(watchAll(dataIds, group, "perKey", watches, onChange)),
    watchManyWithListeners: (dataIds, group, onChange) =>
      runtime.runPromise(watchAll(dataIds, group, "listeners", watches, onChange)),
    watchManyInOneStream: (dataIds, group, onChange) =>
      runtime.runPromise(watchAll(dataIds, group, "oneStream", watches, onChange)),
    warmUp: (dataIds, group, style) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const scope = Scope.makeUnsafe()
          yield* watchAll(dataIds, group, style, scope, () => {})
          yield* Scope.close(scope, Exit.void)
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
