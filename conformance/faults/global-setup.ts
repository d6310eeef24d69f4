/**
 * The fault suite's own real Nacos server (auth off), started once per run and always stopped. A run that cannot
 * start it fails with the server log's tail: it never skips.
 *
 * The server's JVM belongs to this (vitest's main) process, but the tests that restart it run in workers; so this
 * setup also serves a small control endpoint on loopback (`POST /restart`, `/kill`, `/start`, with a random token)
 * that the tests call through `support.ts`.
 */
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import type { TestProject } from "vitest/node"
import { type RunningNacos, startNacos } from "../server/nacos-server.ts"
import type { FaultServer } from "./support.ts"

type Action = "restart" | "kill" | "start"

const actions: Record<Action, (server: RunningNacos) => Promise<void>> = {
  restart: (server) => server.restart(),
  kill: (server) => server.kill(),
  start: (server) => server.start()
}

const isAction = (name: string): name is Action => name in actions

/** Serves the control endpoint; one action at a time (a restart must not overlap a kill). */
const serveControl = async (server: RunningNacos, token: string) => {
  let queue: Promise<unknown> = Promise.resolve()
  const control = http.createServer((request, response) => {
    const name = (request.url ?? "").replace(/^\//, "")
    if (request.method !== "POST" || request.headers["x-control-token"] !== token || !isAction(name)) {
      response.writeHead(404).end()
      return
    }
    const started = Date.now()
    const run = queue.then(() => actions[name](server))
    queue = run.catch(() => undefined)
    run.then(
      () =>
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ ms: Date.now() - started })),
      (error: unknown) => response.writeHead(500).end(error instanceof Error ? error.message : String(error))
    )
  })
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve))
  const address = control.address()
  if (address === null || typeof address === "string") throw new Error("the control endpoint has no port")
  return { control, url: `http://127.0.0.1:${address.port}` }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startNacos("auth-off", { quiet: true })
  try {
    if (server.external)
      throw new Error("the fault suite restarts its server: it needs one of its own (unset NACOS_SERVER_ADDR)")
    const token = randomBytes(16).toString("hex")
    const { control, url } = await serveControl(server, token)
    const provided: FaultServer = {
      serverAddr: server.serverAddr,
      httpPort: server.httpPort,
      grpcPort: server.grpcPort,
      consolePort: server.consolePort,
      username: server.username,
      password: server.password,
      authEnabled: server.authEnabled,
      home: server.home,
      external: server.external,
      control: { url, token }
    }
    project.provide("faults", provided)
    return async () => {
      await new Promise<void>((resolve) => control.close(() => resolve()))
      await server.stop()
    }
  } catch (error) {
    await server.stop()
    throw error
  }
}
