// Starts / stops real Nacos servers outside a test run.
//
//   node conformance/server/cli.ts start [auth-off|auth-on|all|cluster]   (default: all)
//   node conformance/server/cli.ts stop
//   node conformance/server/cli.ts status
//
// `start` waits until every server is ready (admin user created, login checked), writes
// conformance/server/.state.json (addresses, credentials, pids; git-ignored), prints it and
// returns, leaving the JVMs running in the background. `stop` kills what the state file names.
// `cluster` starts the 3-node cluster (auth off) instead: its nodes are entries "cluster-n1" .. "cluster-n3".

import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { startNacosCluster } from "./nacos-cluster.ts"
import {
  isOurJvm,
  killProcess,
  NACOS_PROFILES,
  type NacosProfile,
  type NacosState,
  type NacosStateEntry,
  type RunningNacos,
  readNacosState,
  STATE_FILE,
  startNacosProfiles
} from "./nacos-server.ts"

const usage = "usage: node conformance/server/cli.ts start [auth-off|auth-on|all|cluster] | stop | status"

const aliveServers = (state: NacosState | undefined): Array<NacosStateEntry> =>
  (state?.servers ?? []).filter((server) => isOurJvm(server.pid))

const stopServers = async (state: NacosState): Promise<void> => {
  await Promise.all(
    state.servers.map(async (server) => {
      if (isOurJvm(server.pid)) {
        process.stderr.write(`[nacos] ${server.name ?? server.profile}: stopping pid ${server.pid}\n`)
        await killProcess(server.pid)
      }
      if (server.home !== "") await fsp.rm(server.home, { recursive: true, force: true, maxRetries: 3 })
    })
  )
  await fsp.rm(STATE_FILE, { force: true })
}

const start = async (which: string | undefined): Promise<number> => {
  if (process.env.NACOS_SERVER_ADDR) {
    process.stderr.write(`[nacos] NACOS_SERVER_ADDR=${process.env.NACOS_SERVER_ADDR} is set: nothing to start\n`)
    return 0
  }
  const cluster = which === "cluster"
  const profiles: ReadonlyArray<NacosProfile> = cluster
    ? ["auth-off"]
    : which === undefined || which === "all"
      ? NACOS_PROFILES
      : NACOS_PROFILES.includes(which as NacosProfile)
        ? [which as NacosProfile]
        : []
  if (profiles.length === 0) {
    process.stderr.write(`unknown profile ${which}\n${usage}\n`)
    return 2
  }
  const previous = readNacosState()
  if (aliveServers(previous).length > 0) {
    process.stderr.write(`[nacos] servers from ${STATE_FILE} are still running; run "stop" first\n`)
    process.stdout.write(`${JSON.stringify(previous, null, 2)}\n`)
    return 1
  }
  if (previous !== undefined) await stopServers(previous)

  const entry = (s: RunningNacos, name?: string): NacosStateEntry => ({
    profile: s.profile,
    ...(name === undefined ? {} : { name }),
    host: s.host,
    httpPort: s.httpPort,
    grpcPort: s.grpcPort,
    consolePort: s.consolePort,
    serverAddr: s.serverAddr,
    username: s.username,
    password: s.password,
    authEnabled: s.authEnabled,
    home: s.home,
    pid: s.pid ?? -1
  })
  let servers: Array<NacosStateEntry>
  if (cluster) {
    const started = await startNacosCluster({ detached: true })
    servers = started.nodes.map((node) => entry(node, `cluster-${node.name}`))
  } else {
    const started = await startNacosProfiles(profiles, { detached: true })
    servers = profiles.map((profile) => entry(started[profile]))
  }
  const state: NacosState = { startedAt: new Date().toISOString(), servers }
  fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
  process.stdout.write(`${JSON.stringify(state, null, 2)}\n`)
  process.stderr.write(`[nacos] state written to ${STATE_FILE}\n`)
  return 0
}

const stop = async (): Promise<number> => {
  const state = readNacosState()
  if (state === undefined) {
    process.stderr.write(`[nacos] no ${STATE_FILE}: nothing to stop\n`)
    return 0
  }
  await stopServers(state)
  process.stderr.write("[nacos] stopped\n")
  return 0
}

const status = (): number => {
  const state = readNacosState()
  if (state === undefined) {
    process.stderr.write("[nacos] not running (no state file)\n")
    return 1
  }
  const alive = new Set(aliveServers(state).map((server) => server.pid))
  for (const server of state.servers) {
    process.stdout.write(
      `${server.name ?? server.profile}\t${alive.has(server.pid) ? "running" : "DEAD"}\tpid ${server.pid}\t${server.serverAddr}\tconsole ${server.consolePort}\n`
    )
  }
  return alive.size === state.servers.length ? 0 : 1
}

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  switch (argv[0]) {
    case "start":
      return start(argv[1])
    case "stop":
      return stop()
    case "status":
      return status()
    default:
      process.stderr.write(`${usage}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
)
