/**
 * What a user reads when the server is not there: the address, the system error (ECONNREFUSED, ENOTFOUND) and the
 * request once, with the network error kept as `cause`. Real sockets against a closed port and an unknown host.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Auth from "../src/Auth.ts"
import * as Nacos from "../src/Nacos.ts"
import * as NacosHttp from "../src/NacosHttp.ts"
import * as Transport from "../src/Transport.ts"

let cacheDir: string
let closedPort: number

/** A port that was free a moment ago and has nothing listening now. */
const findClosedPort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

beforeAll(async () => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nacos-errors-"))
  closedPort = await findClosedPort()
})
afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }))

const CONFIG_PATH = "/v3/client/cs/config"
const configRead: NacosHttp.RequestOptions = {
  method: "GET",
  path: CONFIG_PATH,
  urlParams: { dataId: "app.yaml", groupName: "DEFAULT_GROUP" },
  resource: { module: "config", group: "DEFAULT_GROUP", name: "app.yaml" }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1

const codeOf = (cause: unknown): unknown =>
  cause instanceof Error && "code" in cause ? cause.code : `no Error with a code: ${String(cause)}`

/** Connection failures are logged as warnings too; expected here. */
const quiet = Logger.layer([])

describe("error texts for an unreachable server", () => {
  it.live("HTTP to a closed port: address and ECONNREFUSED, the request named once, the Error kept as cause", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(NacosHttp.NacosHttp.use((nacosHttp) => nacosHttp.request(configRead)))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, `127.0.0.1:${closedPort}`)
      assert.include(error.message, "ECONNREFUSED")
      assert.strictEqual(occurrences(error.message, CONFIG_PATH), 1)
      assert.strictEqual(error._tag === "TransportError" ? codeOf(error.cause) : undefined, "ECONNREFUSED")
    }).pipe(Effect.provide(Nacos.layer({ serverAddr: `127.0.0.1:${closedPort}`, cacheDir })), Effect.provide(quiet))
  )

  it.live("login at a closed port: address and ECONNREFUSED, no URL, the Error kept as cause", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Auth.Auth.use((auth) => auth.identity({ module: "config" })))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, `127.0.0.1:${closedPort}`)
      assert.include(error.message, "ECONNREFUSED")
      assert.notInclude(error.message, "http://")
      assert.strictEqual(error._tag === "TransportError" ? codeOf(error.cause) : undefined, "ECONNREFUSED")
    }).pipe(
      Effect.provide(
        Nacos.layer({ serverAddr: `127.0.0.1:${closedPort}`, cacheDir, username: "nacos", password: "secret" })
      ),
      Effect.provide(quiet)
    )
  )

  it.live("gRPC to a closed port: the session error names the address and ECONNREFUSED", () =>
    Effect.gen(function* () {
      const transport = yield* Transport.Transport
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.flatMap(transport.connect({ module: "config", tenant: "public" }), (connection) =>
            connection.awaitSession(1_500)
          )
        )
      )
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, `127.0.0.1:${closedPort}`)
      assert.include(error.message, "ECONNREFUSED")
      assert.notInclude(error.message, "Resolution note")
    }).pipe(
      Effect.provide(Nacos.layer({ serverAddr: `127.0.0.1:${closedPort}`, cacheDir, grpc: { portOffset: 0 } })),
      Effect.provide(quiet)
    )
  )

  it.live("an unknown host: the host and the resolver's code (ENOTFOUND, or EAI_AGAIN without DNS)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(NacosHttp.NacosHttp.use((nacosHttp) => nacosHttp.request(configRead)))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "nacos.invalid")
      assert.match(error.message, /ENOTFOUND|EAI_AGAIN/)
      assert.strictEqual(occurrences(error.message, CONFIG_PATH), 1)
    }).pipe(Effect.provide(Nacos.layer({ serverAddr: "nacos.invalid:8848", cacheDir })), Effect.provide(quiet))
  )
})
