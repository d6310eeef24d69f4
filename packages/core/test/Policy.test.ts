import { describe, expect, it } from "@effect/vitest"
import { Policy } from "@effect-nacos/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** The first `count` delays (ms) a schedule would wait, as one client that starts at time 0 sees them. */
const firstDelays = (schedule: Schedule.Schedule<unknown>, count: number) =>
  Effect.gen(function* () {
    const step = yield* Schedule.toStep(schedule)
    const delays: Array<number> = []
    let now = 0
    for (let n = 0; n < count; n++) {
      const [, delay] = yield* step(now, undefined)
      delays.push(Duration.toMillis(delay))
      now += Duration.toMillis(delay)
    }
    return delays
  })

describe("Policy", () => {
  // A restarting Nacos answers every ServerCheck with 300 until it is up: clients waiting on this schedule in lock
  // step would all get through within the same second (the reconnect storm bench saw 175 of 200 in one second).
  it.effect("serverStarting: clients that wait together do not retry in lock-step, and none waits over 5 s", () =>
    Effect.gen(function* () {
      const clients = yield* Effect.forEach(Array.from({ length: 20 }), () => firstDelays(Policy.serverStarting, 4))
      const thirdDelays = new Set(clients.map((delays) => delays[2]))
      expect(thirdDelays.size).toBeGreaterThan(10)
      for (const delays of clients) for (const delay of delays) expect(delay).toBeLessThan(5000)
    })
  )
})
