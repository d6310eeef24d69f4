/**
 * What the fault cases share: the suite's server (from the global setup) and its control endpoint, client stacks
 * (config + naming + ai over one Nacos stack), the server's own view of its connections, and the figures file.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { AiService } from "@effect-nacos/ai"
import { ConfigService } from "@effect-nacos/config"
import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { inject } from "vitest"
import { type ConformanceServer, nacosLayer, type Overrides } from "../support.ts"

/** The suite's server, and how to restart it (the JVM belongs to the global setup's process). */
export interface FaultServer extends ConformanceServer {
  readonly control: { readonly url: string; readonly token: string }
}

declare module "vitest" {
  export interface ProvidedContext {
    faults: FaultServer
  }
}

export const faultServer = (): FaultServer => inject("faults")

const ControlAnswer = Schema.fromJsonString(Schema.Struct({ ms: Schema.Number }))

/** Restarts (or kills, or starts again) the server in place; answers how long it took. */
export const controlServer = (server: FaultServer, action: "restart" | "kill" | "start") =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${server.control.url}/${action}`, {
      method: "POST",
      headers: { "x-control-token": server.control.token },
      signal: AbortSignal.timeout(240_000)
    })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`${action} failed: HTTP ${response.status} ${text}`)
    return Schema.decodeUnknownSync(ControlAnswer)(text).ms
  }).pipe(Effect.orDie)

/** The three services over one client stack (one set of connections: config, naming, ai, and ai's naming). */
export const servicesLayer = (server: ConformanceServer, overrides: Overrides = {}) =>
  Layer.mergeAll(ConfigService.layer, NamingService.layer, AiService.layer).pipe(
    Layer.provide(nacosLayer(server, overrides)),
    Layer.orDie
  )

export const services = Effect.all({
  config: Effect.service(ConfigService.ConfigService),
  naming: Effect.service(NamingService.NamingService),
  ai: Effect.service(AiService.AiService)
})

// ---------------------------------------------------------------------------------------------------------------
// The server's view (admin API)
// ---------------------------------------------------------------------------------------------------------------

const LoginAnswer = Schema.Struct({ accessToken: Schema.String })
const ConnectionEntry = Schema.Struct({
  metaInfo: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        labels: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String))),
        appName: Schema.optional(Schema.NullOr(Schema.String))
      })
    )
  )
})
const CurrentConnections = Schema.Struct({
  code: Schema.Number,
  data: Schema.Record(Schema.String, ConnectionEntry)
})

/** The server's gRPC client connections now (`GET /v3/admin/core/loader/current`), by connection id. */
export const serverConnections = (server: ConformanceServer) =>
  Effect.tryPromise(async () => {
    const base = `http://127.0.0.1:${server.httpPort}/nacos`
    const login = await fetch(`${base}/v3/auth/user/login`, {
      method: "POST",
      body: new URLSearchParams({ username: server.username, password: server.password }),
      signal: AbortSignal.timeout(5_000)
    })
    const { accessToken } = Schema.decodeUnknownSync(LoginAnswer)(await login.json())
    const current = await fetch(`${base}/v3/admin/core/loader/current`, {
      headers: { accessToken },
      signal: AbortSignal.timeout(5_000)
    })
    const answer = Schema.decodeUnknownSync(CurrentConnections)(await current.json())
    return Object.entries(answer.data).map(([connectionId, entry]) => ({
      connectionId,
      module: entry.metaInfo?.labels?.module ?? "",
      appName: entry.metaInfo?.appName ?? entry.metaInfo?.labels?.AppName ?? ""
    }))
  })

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

const FIGURES_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/fault-figures.json")
const Figures = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))

/** Merges `figures` under `name` into build/fault-figures.json (the cases run one file at a time). */
export const recordFigures = (name: string, figures: Readonly<Record<string, unknown>>) =>
  Effect.sync(() => {
    fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true })
    const existing = fs.existsSync(FIGURES_FILE)
      ? Schema.decodeUnknownOption(Figures)(fs.readFileSync(FIGURES_FILE, "utf8"))
      : undefined
    const all = existing?._tag === "Some" ? existing.value : {}
    const next = { ...all, [name]: { ...figures, recordedAt: new Date().toISOString() } }
    fs.writeFileSync(FIGURES_FILE, `${JSON.stringify(next, null, 2)}\n`)
  })
