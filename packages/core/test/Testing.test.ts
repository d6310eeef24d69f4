import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import { Transport } from "../src/Transport.ts"
import { transportLayer } from "./support/layers.ts"
import { runChild } from "./support/runChild.ts"

const importMainEntry = fileURLToPath(new URL("./support/importMainEntry.ts", import.meta.url))

const connectAs = (address: string, module: "config" | "naming") =>
  Effect.flatMap(Effect.service(Transport), (transport) => transport.connect({ module })).pipe(
    Effect.provide(transportLayer([address])),
    Effect.provide(Logger.layer([]))
  )
const connect = (address: string) => connectAs(address, "naming")

describe("@effect-nacos/core/testing", () => {
  it.live(
    "the main entry never loads the test kit; the subpath does",
    () =>
      Effect.gen(function* () {
        const mainOnly = yield* runChild(importMainEntry, [], 20_000)
        expect(mainOnly.stderr).toBe("")
        const mainModules = mainOnly.stdout.split("\n")
        expect(mainModules.some((url) => url.endsWith("/core/src/index.ts"))).toBe(true)
        expect(mainModules.filter((url) => url.includes("/core/src/testing"))).toEqual([])

        const withKit = yield* runChild(importMainEntry, ["with-testing"], 20_000)
        expect(withKit.stderr).toBe("")
        expect(withKit.stdout).toContain("/core/src/testing/FakeNacosServer.ts")
      }),
    30_000
  )

  it.live("an empty push carries only its requestId; the client's handler gets it and acks it", () =>
    Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      const connection = yield* connect(fake.address)
      const seen: Array<unknown> = []
      yield* connection.handlePush(
        "NotifySubscriberRequest",
        Schema.Struct({ serviceInfo: Schema.optional(Schema.Unknown) }),
        "NotifySubscriberResponse",
        (push) => Effect.sync(() => void seen.push(push)).pipe(Effect.as({}))
      )
      yield* connection.awaitSession(5000)
      const id = fake.pushEmpty("NotifySubscriberRequest")
      const ack = yield* Effect.promise(() => fake.ackFor(id))
      expect(ack).toMatchObject({ type: "NotifySubscriberResponse", json: { requestId: id, resultCode: 200 } })
      expect(seen).toEqual([{}])
    })
  )

  it.live("pushAndAwaitAck resolves with the client's answer to that push", () =>
    Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      const connection = yield* connect(fake.address)
      yield* connection.awaitSession(5000)
      const ack = yield* Effect.promise(() => fake.pushAndAwaitAck("ClientDetectionRequest", {}))
      expect(ack).toMatchObject({ via: "stream", type: "ClientDetectionResponse", json: { resultCode: 200 } })
    })
  )

  it.live("awaitReceived counts messages already received and resolves on the n-th; a cut makes the client redo", () =>
    Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      const connection = yield* connect(fake.address)
      const first = yield* connection.awaitSession(5000)
      const firstSetup = yield* Effect.promise(() => fake.awaitReceived("ConnectionSetupRequest"))
      expect(firstSetup.via).toBe("stream")
      const secondSetup = fake.awaitReceived("ConnectionSetupRequest", 2)
      fake.dropStreams()
      const second = yield* Effect.promise(() => secondSetup)
      expect(second).not.toBe(firstSetup)
      expect(fake.typesReceived("ConnectionSetupRequest")).toHaveLength(2)
      const next = yield* connection.awaitSession(5000)
      expect(next.connectionId).not.toBe(first.connectionId)
    })
  )

  it.live("connections lists each set-up connection with its labels; pushTo reaches only the one named", () =>
    Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      const config = yield* Effect.flatMap(connectAs(fake.address, "config"), (c) => c.awaitSession(5000))
      const naming = yield* Effect.flatMap(connectAs(fake.address, "naming"), (c) => c.awaitSession(5000))
      const byModule = Object.fromEntries(fake.connections.map((c) => [c.labels.module, c.connectionId]))
      expect(byModule).toEqual({ config: config.connectionId, naming: naming.connectionId })

      const ack = yield* Effect.promise(() =>
        fake.ackFor(fake.pushTo(naming.connectionId, "SomethingNewRequest", { note: "only naming" }))
      )
      expect(ack.peer).toBe(fake.connections.find((c) => c.connectionId === naming.connectionId)?.peer)
      expect(fake.typesReceived("SomethingNewResponse")).toHaveLength(1)
    })
  )

  it.live("scoped stops the server when its scope closes: the port is free again", () =>
    Effect.gen(function* () {
      const port = yield* Effect.scoped(Effect.map(FakeNacosServer.scoped(), (fake) => fake.port))
      const again = yield* FakeNacosServer.scoped({}, port)
      expect(again.port).toBe(port)
    })
  )
})
