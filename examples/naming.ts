/**
 * Naming: register instances, subscribe to a service, pick one by weight, and let the layer deregister on close.
 *
 *   npx node --conditions=@effect-nacos/source examples/naming.ts                                  # in memory
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npx node --conditions=@effect-nacos/source examples/naming.ts # on a real server
 *
 * Without NACOS_SERVER_ADDR the in-memory NamingService runs the same program — the layer your own tests would use.
 */

import { Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import { Effect, Layer, Stream } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""

const NamingLive: Layer.Layer<NamingService.NamingService, unknown> =
  serverAddr === "" ? NamingService.layerMemory() : NamingService.layer.pipe(Layer.provide(Nacos.layerConfig))

const serviceName = `example-orders-${Date.now()}`

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: running on the in-memory NamingService (NamingService.layerMemory())"
      : `running on the Nacos server at ${serverAddr}`
  )
  const naming = yield* NamingService.NamingService

  // the subscription starts with the current instances, then follows every change (with the diff)
  yield* naming.subscribe({ serviceName }).pipe(
    Stream.runForEach((event) =>
      event._tag === "InstancesChanged"
        ? Effect.log(
            `subscribe: ${event.service.hosts.length} instance(s); +${event.added.length} -${event.removed.length} ~${event.modified.length}`
          )
        : Effect.log("subscribe: the server said no instance is left; the last view is kept (protect)")
    ),
    Effect.forkScoped
  )
  yield* Effect.sleep("200 millis")

  yield* naming.registerInstance({ serviceName, ip: "10.0.0.5", port: 8080, weight: 1, metadata: { zone: "a" } })
  yield* naming.registerInstance({ serviceName, ip: "10.0.0.6", port: 8080, weight: 3, metadata: { zone: "b" } })
  yield* Effect.sleep("1 second")

  const picked = yield* naming.selectOneHealthyInstance({ serviceName })
  yield* Effect.log(`selectOneHealthyInstance → ${picked.ip}:${picked.port} (weight ${picked.weight})`)
  const zoneB = yield* naming.selectInstances({ serviceName }, { metadata: { entries: { zone: "b" } } })
  yield* Effect.log(`instances in zone b: ${zoneB.map((instance) => instance.ip).join(", ")}`)

  yield* naming.updateInstance({ serviceName, ip: "10.0.0.5", port: 8080, weight: 2, metadata: { zone: "a" } })
  yield* naming.deregisterInstance({ serviceName, ip: "10.0.0.6", port: 8080 })
  yield* Effect.sleep("1 second")
  // closing the scope deregisters the instance still registered, before the connection closes
  yield* Effect.log("done")
})

program.pipe(Effect.provide(NamingLive), Effect.scoped, Effect.runPromise).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
