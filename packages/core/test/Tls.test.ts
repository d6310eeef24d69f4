/**
 * TLS on every transport: login, the HTTP fallback, the address server and gRPC, against servers on real sockets
 * with certificates made for the test. A TLS failure is typed and names its step or file; nothing is ever sent in
 * plain text while `tls` is set.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import type * as tls from "node:tls"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Auth from "../src/Auth.ts"
import * as Nacos from "../src/Nacos.ts"
import * as NacosHttp from "../src/NacosHttp.ts"
import * as NacosOptions from "../src/NacosOptions.ts"
import * as ServerList from "../src/ServerList.ts"
import * as Transport from "../src/Transport.ts"
import { fixedServerList, noAuth } from "./support/layers.ts"
import { makeTestCertificates, type TestCertificates } from "./support/testCertificates.ts"

let certs: TestCertificates
let cacheDir: string

beforeAll(() => {
  certs = makeTestCertificates()
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nacos-tls-cache-"))
})
afterAll(() => {
  certs.remove()
  fs.rmSync(cacheDir, { recursive: true, force: true })
})

interface SeenRequest {
  readonly method: string
  readonly path: string
  /** Whether the client presented a certificate the server verified (https only). */
  readonly clientCertificateVerified: boolean
}

/** An HTTP(S) server answering like Nacos (login, a config read, the address server's list); records requests. */
const startNacosHttp = (
  options: { readonly tls?: https.ServerOptions } = {}
): Promise<{ server: http.Server; port: number; requests: Array<SeenRequest>; connections: () => number }> => {
  const requests: Array<SeenRequest> = []
  let connections = 0
  const handler: http.RequestListener = (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost")
    const socket = request.socket as tls.TLSSocket
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      clientCertificateVerified: socket.authorized === true && socket.getPeerCertificate?.().subject !== undefined
    })
    request.resume()
    request.on("end", () => {
      if (url.pathname.endsWith("/login")) {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify({ accessToken: "tls-token", tokenTtl: 18_000 }))
      } else if (url.pathname === "/nacos/serverlist") {
        response.writeHead(200, { "content-type": "text/plain" })
        response.end("127.0.0.1:18848\n")
      } else {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify({ code: 0, message: "success", data: "content" }))
      }
    })
  }
  const server = options.tls === undefined ? http.createServer(handler) : https.createServer(options.tls, handler)
  server.on("connection", () => connections++)
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({
        server,
        port: typeof address === "object" && address !== null ? address.port : 0,
        requests,
        connections: () => connections
      })
    })
  )
}

const serverTls = (options: { readonly requireClientCert: boolean }): https.ServerOptions => ({
  key: certs.serverKey,
  cert: certs.serverCert,
  ca: certs.ca,
  requestCert: options.requireClientCert,
  rejectUnauthorized: options.requireClientCert
})

const grpcTls = (options: { readonly requireClientCert: boolean }) =>
  grpc.ServerCredentials.createSsl(
    certs.ca,
    [{ private_key: certs.serverKey, cert_chain: certs.serverCert }],
    options.requireClientCert
  )

/** An HTTP server on port P and a gRPC server on P + 1 (the client's `portOffset: 1`). */
const startPair = async (options: {
  readonly httpTls?: https.ServerOptions
  readonly grpcCredentials: grpc.ServerCredentials
}) => {
  for (let attempt = 0; ; attempt++) {
    const httpServer = await startNacosHttp(options.httpTls === undefined ? {} : { tls: options.httpTls })
    const grpcServer = new FakeNacosServer()
    try {
      await grpcServer.start(httpServer.port + 1, options.grpcCredentials)
      const close = async () => {
        await grpcServer.stop()
        httpServer.server.closeAllConnections()
        await new Promise<void>((resolve) => httpServer.server.close(() => resolve()))
      }
      return { http: httpServer, grpc: grpcServer, close }
    } catch (error) {
      await new Promise<void>((resolve) => httpServer.server.close(() => resolve()))
      if (attempt >= 10) throw error
    }
  }
}

type Pair = Awaited<ReturnType<typeof startPair>>

const clientOptions = (
  pair: Pair,
  overrides: Partial<NacosOptions.NacosOptionsInput> = {}
): NacosOptions.NacosOptionsInput => ({
  // a host name, not 127.0.0.1: grpc-js would send the IP as TLS server name, which Node warns about
  serverAddr: `localhost:${pair.http.port}`,
  appName: "tls-test",
  cacheDir,
  grpc: { portOffset: 1, timeoutMillis: 2_000 },
  ...overrides
})

/** Runs `effect` against the pair's servers and stops them afterwards, whatever happened. */
const withPair = <A, E, R>(
  start: () => Promise<Pair>,
  effect: (pair: Pair) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(Effect.promise(start), effect, (pair) => Effect.promise(pair.close))

const configRead: NacosHttp.RequestOptions = {
  method: "GET",
  path: "/v3/client/cs/config",
  urlParams: { dataId: "app.yaml", groupName: "DEFAULT_GROUP" },
  resource: { module: "config", group: "DEFAULT_GROUP", name: "app.yaml" }
}

const openSession = Effect.gen(function* () {
  const transport = yield* Transport.Transport
  const connection = yield* transport.connect({ module: "config", tenant: "public" })
  return yield* connection.awaitSession(2_000)
}).pipe(Effect.scoped)

/** The client logs its connection failures as warnings; those are expected here. */
const quiet = Logger.layer([])

describe("TLS", () => {
  it.live(
    "with the CA and a client certificate, login, HTTP and gRPC all go over verified TLS",
    () =>
      withPair(
        () =>
          startPair({
            httpTls: serverTls({ requireClientCert: true }),
            grpcCredentials: grpcTls({ requireClientCert: true })
          }),
        (pair) =>
          Effect.gen(function* () {
            const auth = yield* Auth.Auth
            assert.deepStrictEqual(yield* auth.identity({ module: "config" }), { accessToken: "tls-token" })
            const nacosHttp = yield* NacosHttp.NacosHttp
            const answer = yield* nacosHttp.request(configRead)
            assert.strictEqual(answer.status, 200)
            assert.strictEqual(answer.server.scheme, "https")
            const session = yield* openSession
            assert.strictEqual(session.server.scheme, "https")
            assert.isAbove(pair.grpc.typesReceived("ServerCheckRequest").length, 0)
            assert.deepStrictEqual(
              pair.http.requests.map((request) => [request.path, request.clientCertificateVerified]),
              [
                ["/nacos/v3/auth/user/login", true],
                ["/nacos/v3/client/cs/config", true]
              ]
            )
          }).pipe(
            Effect.provide(
              Nacos.layer(
                clientOptions(pair, {
                  username: "nacos",
                  password: "secret",
                  tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile }
                })
              )
            ),
            Effect.provide(quiet)
          )
      ),
    30_000
  )

  it.live(
    "a CA that did not sign the server's certificate, or none (system roots): typed failures naming the verify step, nothing handled",
    () =>
      withPair(
        () =>
          startPair({
            httpTls: serverTls({ requireClientCert: false }),
            grpcCredentials: grpcTls({ requireClientCert: false })
          }),
        (pair) =>
          Effect.gen(function* () {
            // `tls: {}`: TLS without a CA file, the case that once went out in plain http
            for (const tlsOptions of [{ caFile: certs.otherCaFile }, {}]) {
              const options = clientOptions(pair, { tls: tlsOptions })
              const httpError = yield* Effect.flip(
                NacosHttp.NacosHttp.use((nacosHttp) => nacosHttp.request(configRead)).pipe(
                  Effect.provide(Nacos.layer(options))
                )
              )
              assert.strictEqual(httpError._tag, "TransportError")
              assert.include(httpError.message, "certificate verify failed")
              assert.include(httpError.message, `localhost:${pair.http.port}`)

              const loginError = yield* Effect.flip(
                Auth.Auth.use((auth) => auth.identity({ module: "config" })).pipe(
                  Effect.provide(Nacos.layer({ ...options, username: "nacos", password: "secret" }))
                )
              )
              assert.strictEqual(loginError._tag, "TransportError")
              assert.include(loginError.message, "certificate verify failed")

              const grpcError = yield* Effect.flip(openSession.pipe(Effect.provide(Nacos.layer(options))))
              assert.strictEqual(grpcError._tag, "TransportError")
              assert.include(grpcError.message, "certificate verify failed")
            }
            assert.deepStrictEqual(pair.http.requests, [])
            assert.deepStrictEqual(pair.grpc.received, [])
          }).pipe(Effect.provide(quiet))
      ),
    30_000
  )

  it.live(
    "a server that requires a client certificate, and none configured: typed failures, nothing handled",
    () =>
      withPair(
        () =>
          startPair({
            httpTls: serverTls({ requireClientCert: true }),
            grpcCredentials: grpcTls({ requireClientCert: true })
          }),
        (pair) =>
          Effect.gen(function* () {
            const options = clientOptions(pair, { tls: { caFile: certs.caFile } })
            const httpError = yield* Effect.flip(
              NacosHttp.NacosHttp.use((nacosHttp) => nacosHttp.request(configRead)).pipe(
                Effect.provide(Nacos.layer(options))
              )
            )
            assert.strictEqual(httpError._tag, "TransportError")
            assert.include(httpError.message, "client certificate")
            const grpcError = yield* Effect.flip(openSession.pipe(Effect.provide(Nacos.layer(options))))
            assert.strictEqual(grpcError._tag, "TransportError")
            assert.include(grpcError.message, "client certificate")
            assert.deepStrictEqual(pair.http.requests, [])
            assert.deepStrictEqual(pair.grpc.received, [])
          }).pipe(Effect.provide(quiet))
      ),
    30_000
  )

  it.live(
    "plain-text servers on the same ports receive no request: the client fails typed instead of downgrading",
    () =>
      withPair(
        () => startPair({ grpcCredentials: grpc.ServerCredentials.createInsecure() }),
        (pair) =>
          Effect.gen(function* () {
            const options = clientOptions(pair, { tls: { caFile: certs.caFile } })
            const httpError = yield* Effect.flip(
              NacosHttp.NacosHttp.use((nacosHttp) => nacosHttp.request(configRead)).pipe(
                Effect.provide(Nacos.layer(options))
              )
            )
            assert.strictEqual(httpError._tag, "TransportError")
            assert.include(httpError.message, "TLS handshake failed")

            const loginError = yield* Effect.flip(
              Auth.Auth.use((auth) => auth.identity({ module: "config" })).pipe(
                Effect.provide(Nacos.layer({ ...options, username: "nacos", password: "secret" }))
              )
            )
            assert.strictEqual(loginError._tag, "TransportError")
            assert.include(loginError.message, "TLS handshake failed")

            const grpcError = yield* Effect.flip(openSession.pipe(Effect.provide(Nacos.layer(options))))
            assert.strictEqual(grpcError._tag, "TransportError")
            assert.include(grpcError.message, "TLS handshake failed")

            // the client did knock on the plain-text port, and no request came of it
            assert.isAbove(pair.http.connections(), 0)
            assert.deepStrictEqual(pair.http.requests, [])
            assert.deepStrictEqual(pair.grpc.received, [])
          }).pipe(Effect.provide(quiet))
      ),
    30_000
  )

  it.live(
    "the address server is asked over https, verified against the CA",
    () =>
      Effect.acquireUseRelease(
        Effect.promise(() => startNacosHttp({ tls: serverTls({ requireClientCert: false }) })),
        (addressServer) =>
          Effect.gen(function* () {
            const servers = yield* ServerList.ServerList.use((list) => list.current)
            assert.deepStrictEqual(
              servers.map((server) => server.httpBase),
              ["https://127.0.0.1:18848"]
            )
            assert.deepStrictEqual(
              addressServer.requests.map((request) => request.path),
              ["/nacos/serverlist"]
            )
          }).pipe(
            Effect.provide(
              ServerList.layer.pipe(
                Layer.provide(Nacos.platformLayer),
                Layer.provide(
                  NacosOptions.layer({
                    endpoint: `127.0.0.1:${addressServer.port}`,
                    cacheDir,
                    tls: { caFile: certs.caFile }
                  })
                )
              )
            )
          ),
        (addressServer) =>
          Effect.promise(
            () =>
              new Promise<void>((resolve) => {
                addressServer.server.closeAllConnections()
                addressServer.server.close(() => resolve())
              })
          )
      ),
    30_000
  )

  it.live(
    "without the default platform, gRPC reads the TLS files at first use and names the one it cannot read",
    () =>
      Effect.gen(function* () {
        const missing = path.join(certs.dir, "missing-at-first-use.pem")
        const transport = Transport.layerGrpc().pipe(
          Layer.provide([
            NacosOptions.layer({
              serverAddr: "localhost:18848",
              grpc: { portOffset: 0 },
              tls: { caFile: missing }
            }),
            fixedServerList(["localhost:18848"]),
            noAuth
          ])
        )
        const error = yield* Effect.flip(openSession.pipe(Effect.provide(transport)))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, missing)
        assert.include(error.message, "tls.caFile")
      }).pipe(Effect.provide(quiet)),
    30_000
  )

  it.effect("an unreadable or unusable TLS file fails the build, naming the option and the file", () =>
    Effect.gen(function* () {
      const missing = path.join(certs.dir, "missing-ca.pem")
      const notPem = path.join(certs.dir, "not-a-certificate.pem")
      fs.writeFileSync(notPem, "this is not a certificate\n")
      const build = (tlsOptions: NonNullable<NacosOptions.NacosOptionsInput["tls"]>) =>
        Effect.flip(
          Layer.build(Nacos.layer({ serverAddr: "127.0.0.1:1", cacheDir, tls: tlsOptions })).pipe(Effect.scoped)
        )

      const noCa = yield* build({ caFile: missing })
      assert.deepInclude(noCa, { _tag: "InvalidArgumentError", field: "tls.caFile" })
      assert.include(noCa.message, missing)
      assert.include(noCa.message, "ENOENT")

      const badCa = yield* build({ caFile: notPem })
      assert.deepInclude(badCa, { _tag: "InvalidArgumentError", field: "tls.caFile" })
      assert.include(badCa.message, notPem)

      const badKey = yield* build({ caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: notPem })
      assert.deepInclude(badKey, { _tag: "InvalidArgumentError", field: "tls.keyFile" })
      assert.include(badKey.message, notPem)

      // a key that is not the certificate's
      const mismatch = yield* build({
        caFile: certs.caFile,
        certFile: certs.clientCertFile,
        keyFile: certs.serverKeyFile
      })
      assert.deepInclude(mismatch, { _tag: "InvalidArgumentError", field: "tls.certFile" })
    })
  )
})
