/**
 * What the conformance tests get from the global setup, and layers pointing the client at those servers.
 */

import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { Nacos, type NacosOptions } from "@effect-nacos/core"
import * as Layer from "effect/Layer"
import { inject } from "vitest"

export interface ConformanceServer {
  readonly serverAddr: string
  readonly httpPort: number
  readonly grpcPort: number
  readonly consolePort: number
  readonly username: string
  readonly password: string
  readonly authEnabled: boolean
  readonly home: string
  readonly external: boolean
}

export interface ConformanceServers {
  readonly authOff: ConformanceServer
  readonly authOn: ConformanceServer
}

declare module "vitest" {
  export interface ProvidedContext {
    nacos: ConformanceServers
  }
}

export const servers = (): ConformanceServers => inject("nacos")

/** Fresh client options for a server; `credentials: false` leaves out username/password. */
export const optionsFor = (
  server: ConformanceServer,
  overrides: Partial<NacosOptions.NacosOptionsInput> & { readonly credentials?: boolean } = {}
): NacosOptions.NacosOptionsInput => {
  const { credentials = server.authEnabled, ...rest } = overrides
  return {
    serverAddr: server.serverAddr,
    appName: "effect-nacos-conformance",
    cacheDir: `${server.home || "/tmp"}/client-cache-${process.pid}`,
    ...(credentials ? { username: server.username, password: server.password } : {}),
    ...rest
  }
}

/** The whole client stack for a server, built fresh (not shared with other tests). */
export const nacosLayer = (server: ConformanceServer, overrides: Parameters<typeof optionsFor>[1] = {}) =>
  Layer.fresh(Nacos.layer(optionsFor(server, overrides)))

/** What a test may change in {@link optionsFor}'s options. */
export type Overrides = Parameters<typeof nacosLayer>[1]

/** A cache directory of its own for one client, so tests never read each other's snapshots. */
export const tempCacheDir = (label: string) => path.join(os.tmpdir(), `effect-nacos-${label}-${randomUUID()}`)
