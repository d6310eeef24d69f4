/**
 * registerInBackground with registries of the test's own (the thing under test is the background registration:
 * retries, statuses, isolation between registries, deregistration when the scope closes, the defaults).
 */
import * as os from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { A2AModels, A2ARegistry, BackgroundRegistration } from "@effect-nacos/ai/a2a"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { TestClock } from "effect/testing"

/** A registry that fails its first `failures` attempts; it logs what it does. */
const flakyRegistry = (name: string, failures: number) => {
  const log: Array<string> = []
  let attempts = 0
  const registry: A2ARegistry.Registry = {
    name,
    register: (card, transports) =>
      Effect.gen(function* () {
        attempts++
        const attempt = attempts
        yield* Effect.acquireRelease(
          Effect.sync(() => log.push(`register ${attempt} ${card.name} ${transports.map((t) => t.port).join(",")}`)),
          () => Effect.sync(() => log.push(`release ${attempt}`))
        )
        if (attempt <= failures) {
          return yield* new A2AModels.A2ARegistryError({ registry: name, message: `down (attempt ${attempt})` })
        }
      })
  }
  return { registry, log, attempts: () => attempts }
}

const card = { name: "background-agent", version: "1.0.0" }
const statusOf = (registration: BackgroundRegistration.BackgroundRegistration, index = 0) =>
  SubscriptionRef.get(registration.registrations[index]!.status)
const settle = Effect.yieldNow.pipe(Effect.repeat({ times: 20 }))

describe("registerInBackground", () => {
  it.effect("returns at once while the registration is under way; startup never waits for a registry", () =>
    Effect.gen(function* () {
      const hanging: A2ARegistry.Registry = { name: "hanging", register: () => Effect.never }
      const registration = yield* BackgroundRegistration.registerInBackground(card, [{ port: 9000 }]).pipe(
        Effect.provide(A2ARegistry.layer([hanging]))
      )
      yield* settle
      expect(yield* statusOf(registration)).toEqual({ _tag: "Registering", attempt: 1 })
    })
  )

  it.effect("status: Registering, Failed (retrying), …, Registered; each failed attempt is taken back first", () =>
    Effect.gen(function* () {
      const flaky = flakyRegistry("flaky", 2)
      const registration = yield* BackgroundRegistration.registerInBackground(card, [{ port: 9000 }], {
        retrySchedule: Schedule.spaced("1 second")
      }).pipe(Effect.provide(A2ARegistry.layer([flaky.registry])))
      yield* settle
      expect(yield* statusOf(registration)).toEqual({
        _tag: "Failed",
        reason: "down (attempt 1)",
        attempt: 1,
        retrying: true
      })
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* statusOf(registration)).toMatchObject({ _tag: "Failed", attempt: 2, retrying: true })
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* statusOf(registration)).toEqual({
        _tag: "Registered",
        attempt: 3,
        urls: [expect.stringMatching(/^http:\/\/[^/]+:9000/)]
      })
      expect(flaky.log).toEqual([
        "register 1 background-agent 9000",
        "release 1",
        "register 2 background-agent 9000",
        "release 2",
        "register 3 background-agent 9000"
      ])
    })
  )

  it.effect("retries are bounded: after the schedule gives up, Failed and not retrying", () =>
    Effect.gen(function* () {
      const down = flakyRegistry("down", Number.POSITIVE_INFINITY)
      const registration = yield* BackgroundRegistration.registerInBackground(card, [], {
        retrySchedule: Schedule.recurs(2)
      }).pipe(Effect.provide(A2ARegistry.layer([down.registry])))
      const settled = yield* registration.settled
      expect(settled).toEqual([{ _tag: "Failed", reason: "down (attempt 3)", attempt: 3, retrying: false }])
      yield* TestClock.adjust("1 hour")
      yield* settle
      expect(down.attempts()).toBe(3)
    })
  )

  it.effect("the default schedule is bounded too (every retry spent within an hour of test time)", () =>
    Effect.gen(function* () {
      const down = flakyRegistry("down", Number.POSITIVE_INFINITY)
      const registration = yield* BackgroundRegistration.registerInBackground(card, []).pipe(
        Effect.provide(A2ARegistry.layer([down.registry]))
      )
      const settled = yield* Effect.forkChild(registration.settled)
      for (let minute = 0; minute < 60; minute++) yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(settled)).toMatchObject([{ _tag: "Failed", retrying: false, attempt: 31 }])
    })
  )

  it.effect("one registry failing never stops the others", () =>
    Effect.gen(function* () {
      const down = flakyRegistry("down", Number.POSITIVE_INFINITY)
      const up = flakyRegistry("up", 0)
      const registration = yield* BackgroundRegistration.registerInBackground(card, [{ port: 9000 }], {
        retrySchedule: Schedule.recurs(1)
      }).pipe(Effect.provide(A2ARegistry.layer([down.registry, up.registry])))
      const settled = yield* registration.settled
      expect(registration.registrations.map((r) => r.registry)).toEqual(["down", "up"])
      expect(settled.map((status) => status._tag)).toEqual(["Failed", "Registered"])
    })
  )

  it.effect("closing the scope deregisters what was registered", () =>
    Effect.gen(function* () {
      const up = flakyRegistry("up", 0)
      const scope = yield* Scope.make()
      const registration = yield* BackgroundRegistration.registerInBackground(card, [{ port: 9000 }]).pipe(
        Effect.provide(A2ARegistry.layer([up.registry])),
        Scope.provide(scope)
      )
      yield* registration.settled
      expect(up.log).toEqual(["register 1 background-agent 9000"])
      yield* Scope.close(scope, Exit.void)
      expect(up.log).toEqual(["register 1 background-agent 9000", "release 1"])
    })
  )

  it.effect("defaults: the host given (else the first non-loopback IPv4), port 8080, card URL from the transport", () =>
    Effect.gen(function* () {
      const up = flakyRegistry("up", 0)
      const registration = yield* BackgroundRegistration.registerInBackground(
        { name: "defaults", version: "2.0.0" },
        [{ path: "a2a" }, { host: "10.9.9.9", port: 9443, supportTls: true, transportType: "GRPC" }],
        { defaultHost: () => "10.1.2.3" }
      ).pipe(Effect.provide(A2ARegistry.layer([up.registry])))
      expect(registration.transports).toEqual([
        { host: "10.1.2.3", port: 8080, path: "/a2a", supportTls: false, transportType: "JSONRPC", extra: {} },
        { host: "10.9.9.9", port: 9443, path: "", supportTls: true, transportType: "GRPC", extra: {} }
      ])
      expect(registration.card).toMatchObject({
        url: "http://10.1.2.3:8080/a2a",
        preferredTransport: "JSONRPC",
        protocolVersion: "0.3.0"
      })
      // a card's own url and transport are kept
      const own = yield* BackgroundRegistration.registerInBackground(
        { name: "own", version: "1.0.0", url: "https://agents.example/own", preferredTransport: "HTTP+JSON" },
        [],
        { defaultHost: () => "10.1.2.3" }
      ).pipe(Effect.provide(A2ARegistry.layer([])))
      expect(own.card).toMatchObject({ url: "https://agents.example/own", preferredTransport: "HTTP+JSON" })
      expect(own.transports).toEqual([
        { host: "10.1.2.3", port: 8080, path: "", supportTls: false, transportType: "JSONRPC", extra: {} }
      ])
    })
  )

  it.effect("the machine's default host is an IPv4 address, not loopback unless the machine has nothing else", () =>
    Effect.sync(() => {
      const external = Object.values(os.networkInterfaces())
        .flatMap((addresses) => addresses ?? [])
        .filter((address) => address.family === "IPv4" && !address.internal)
        .map((address) => address.address)
      const host = A2AModels.defaultHost()
      if (external.length === 0) expect(host).toBe("127.0.0.1")
      else expect(host).toBe(external[0])
    })
  )

  it.effect("a card that cannot be released fails at once with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        BackgroundRegistration.registerInBackground({ name: " ", version: "1.0.0" }, []).pipe(
          Effect.provide(A2ARegistry.layer([]))
        )
      )
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "name" })
    })
  )
})
