import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import * as NacosOptions from "../src/NacosOptions.ts"
import * as ServerAddress from "../src/ServerAddress.ts"
import * as ServerListModule from "../src/ServerList.ts"
import { ServerList } from "../src/ServerList.ts"

const addresses = (...entries: ReadonlyArray<string>) => Effect.forEach(entries, (entry) => ServerAddress.parse(entry))

const authorities = (list: ReadonlyArray<ServerAddress.ServerAddress>) => list.map((address) => address.authority)

/**
 * An address server in memory: serves `body` with `status`, or fails in transport while `down`; records each URL.
 */
const makeAddressServer = (initialBody: string) => {
  const state = { body: initialBody, status: 200, down: false, requests: [] as Array<string> }
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      state.requests.push(request.url)
      if (state.down) {
        return Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, description: "connection refused" })
          })
        )
      }
      return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(state.body, { status: state.status })))
    })
  )
  return { state, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const endpointLayer = (server: ReturnType<typeof makeAddressServer>, refreshMillis = 30_000) =>
  ServerListModule.layer.pipe(
    Layer.provide(
      Layer.merge(
        NacosOptions.layer({
          endpoint: "addr.example:8080",
          endpointContextPath: "nacos",
          endpointRefreshMillis: refreshMillis
        }),
        server.layer
      )
    )
  )

describe("ServerList static", () => {
  it.effect("rotates round robin after a known previous server", () =>
    Effect.gen(function* () {
      const list = yield* addresses("a:1", "b:2", "c:3")
      const servers = yield* ServerList
      const visited: Array<string> = []
      let previous = Option.some(list[0]!)
      for (let i = 0; i < 6; i++) {
        const next = yield* servers.next(previous)
        visited.push(next.authority)
        previous = Option.some(next)
      }
      assert.deepStrictEqual(visited, ["b:2", "c:3", "a:1", "b:2", "c:3", "a:1"])
    }).pipe(Effect.provide(Layer.unwrap(Effect.map(addresses("a:1", "b:2", "c:3"), ServerListModule.layerStatic))))
  )

  it.effect("starts at a random server when there is no previous one or it left the list", () =>
    Effect.gen(function* () {
      const servers = yield* ServerList
      const starts = new Set<string>()
      for (let i = 0; i < 200; i++) starts.add((yield* servers.next(Option.none())).authority)
      assert.deepStrictEqual([...starts].sort(), ["a:1", "b:2", "c:3", "d:4", "e:5"])
      const gone = (yield* addresses("gone:9"))[0]!
      const afterGone = new Set<string>()
      for (let i = 0; i < 200; i++) afterGone.add((yield* servers.next(Option.some(gone))).authority)
      assert.strictEqual(afterGone.size, 5)
    }).pipe(
      Effect.provide(
        Layer.unwrap(Effect.map(addresses("a:1", "b:2", "c:3", "d:4", "e:5"), ServerListModule.layerStatic))
      )
    )
  )

  it.effect("finds an entry by host, and by host and port", () =>
    Effect.gen(function* () {
      const servers = yield* ServerList
      assert.strictEqual(Option.getOrThrow(yield* servers.find("b")).authority, "b:2")
      assert.strictEqual(Option.getOrThrow(yield* servers.find("a", 7)).authority, "a:7")
      assert.strictEqual(Option.getOrThrow(yield* servers.find("::1", 8848)).authority, "[::1]:8848")
      assert.isTrue(Option.isNone(yield* servers.find("a", 9)))
      assert.isTrue(Option.isNone(yield* servers.find("zz")))
    }).pipe(
      Effect.provide(
        Layer.unwrap(Effect.map(addresses("a:1", "b:2", "a:7", "[::1]:8848"), ServerListModule.layerStatic))
      )
    )
  )

  it.effect("layer uses the options' static list and drops duplicates", () =>
    Effect.gen(function* () {
      const servers = yield* ServerList
      assert.deepStrictEqual(authorities(yield* servers.current), ["x:1", "y:2"])
    }).pipe(
      Effect.provide(
        ServerListModule.layer.pipe(
          Layer.provide(Layer.merge(NacosOptions.layer({ serverAddr: "x:1,y:2,x:1" }), makeAddressServer("").layer))
        )
      )
    )
  )

  it.effect("an empty static list fails the build", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.provide(ServerList.use(Effect.succeed), ServerListModule.layerStatic([])))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Effect.provide(ServerList.use(Effect.succeed), ServerListModule.layerStatic([])))
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})

describe("ServerList endpoint", () => {
  it.effect("fetches the list from the address server, skipping blank lines", () =>
    Effect.gen(function* () {
      const server = makeAddressServer("10.0.0.1:8848\n\n  10.0.0.2  \r\n")
      const list = yield* ServerList.use((servers) => servers.current).pipe(Effect.provide(endpointLayer(server)))
      assert.deepStrictEqual(authorities(list), ["10.0.0.1:8848", "10.0.0.2:8848"])
      assert.deepStrictEqual(server.state.requests, ["http://addr.example:8080/nacos/serverlist"])
    })
  )

  it.effect("refreshes on schedule, publishes changes once, and keeps the last good list on failure", () => {
    const server = makeAddressServer("a:1\nb:2")
    return Effect.gen(function* () {
      const servers = yield* ServerList
      const seen: Array<ReadonlyArray<string>> = []
      yield* servers.changes.pipe(
        Stream.runForEach((list) => Effect.sync(() => seen.push(authorities(list)))),
        Effect.forkScoped
      )
      yield* Effect.yieldNow
      assert.deepStrictEqual(seen, [["a:1", "b:2"]])

      // unchanged (only reordered) answer: no new emission
      server.state.body = "b:2\na:1"
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(server.state.requests.length, 2)
      assert.deepStrictEqual(seen, [["a:1", "b:2"]])

      // a real change, but not before the refresh interval has passed
      server.state.body = "c:3"
      yield* TestClock.adjust("29 seconds")
      assert.deepStrictEqual(authorities(yield* servers.current), ["a:1", "b:2"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(authorities(yield* servers.current), ["c:3"])
      assert.deepStrictEqual(seen, [["a:1", "b:2"], ["c:3"]])

      // failures and empty answers keep the last good list
      server.state.down = true
      yield* TestClock.adjust("30 seconds")
      server.state.down = false
      server.state.status = 503
      yield* TestClock.adjust("30 seconds")
      server.state.status = 200
      server.state.body = "\n\n"
      yield* TestClock.adjust("30 seconds")
      assert.deepStrictEqual(authorities(yield* servers.current), ["c:3"])
      assert.deepStrictEqual(seen, [["a:1", "b:2"], ["c:3"]])
      assert.strictEqual(server.state.requests.length, 6)

      // and it recovers when the address server does
      server.state.body = "d:4\ne:5"
      yield* TestClock.adjust("30 seconds")
      assert.deepStrictEqual(seen, [["a:1", "b:2"], ["c:3"], ["d:4", "e:5"]])
      const next = yield* servers.next(Option.some((yield* addresses("d:4"))[0]!))
      assert.strictEqual(next.authority, "e:5")
    }).pipe(Effect.provide(endpointLayer(server)))
  })

  it.effect("a late subscriber sees the current list first", () => {
    const server = makeAddressServer("a:1")
    return Effect.gen(function* () {
      server.state.body = "b:2"
      yield* TestClock.adjust("10 seconds")
      const first = yield* ServerList.use((servers) => servers.changes.pipe(Stream.take(1), Stream.runCollect))
      assert.deepStrictEqual(first.map(authorities), [["b:2"]])
    }).pipe(Effect.provide(endpointLayer(server, 10_000)))
  })

  it.effect("the build retries briefly, then fails with TransportError instead of hanging", () =>
    Effect.gen(function* () {
      const server = makeAddressServer("")
      server.state.down = true
      const fiber = yield* ServerList.use(Effect.succeed).pipe(
        Effect.provide(endpointLayer(server)),
        Effect.flip,
        Effect.forkChild
      )
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "http://addr.example:8080/nacos/serverlist")
      assert.strictEqual(server.state.requests.length, 5)
    })
  )

  it.effect("the build succeeds when the address server answers within the retries", () =>
    Effect.gen(function* () {
      const server = makeAddressServer("")
      const fiber = yield* ServerList.use((servers) => servers.current).pipe(
        Effect.provide(endpointLayer(server)),
        Effect.forkChild
      )
      yield* TestClock.adjust("100 millis")
      server.state.body = "late:1"
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(authorities(yield* Fiber.join(fiber)), ["late:1"])
      assert.strictEqual(server.state.requests.length, 3)
    })
  )
})

describe("ServerList endpoint with tls", () => {
  it.effect("asks the address server over https and reads its bare lines as https servers", () =>
    Effect.gen(function* () {
      const server = makeAddressServer("10.0.0.1:8848\nhttps://10.0.0.2:9443\nhttp://10.0.0.3:8848")
      const list = yield* ServerList.use((servers) => servers.current).pipe(
        Effect.provide(
          ServerListModule.layer.pipe(
            Layer.provide(
              Layer.merge(
                NacosOptions.layer({ endpoint: "addr.example:8080", endpointContextPath: "nacos", tls: {} }),
                server.layer
              )
            )
          )
        ),
        // the warning about the plain-http line is expected: keep the test output quiet
        Effect.provide(Logger.layer([]))
      )
      assert.deepStrictEqual(server.state.requests, ["https://addr.example:8080/nacos/serverlist"])
      // a plain-http line is dropped (with a warning), never used in plain text
      assert.deepStrictEqual(
        list.map((address) => address.httpBase),
        ["https://10.0.0.1:8848", "https://10.0.0.2:9443"]
      )
    })
  )
})
