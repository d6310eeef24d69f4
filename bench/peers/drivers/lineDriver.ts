/**
 * The driver side of the peer protocol for the Node drivers: commands from stdin, protocol lines on fd 3 (so that
 * whatever a client library logs to stdout cannot corrupt them), one command at a time.
 */
import * as net from "node:net"
import * as readline from "node:readline"
import { type Command, decodeCommand, type GetCommand, type WatchStyle } from "../protocol.ts"

/** What one `get` batch measured. */
export interface GetBatch {
  readonly millis: number
  readonly latenciesMicros: ReadonlyArray<number>
  readonly errors: number
  readonly firstError?: string
}

/** A client under test; an operation left out answers "not supported". */
export interface DriverClient {
  readonly getBatch: (command: typeof GetCommand.Type) => Promise<GetBatch>
  readonly publish?: (dataId: string, group: string, content: string) => Promise<void>
  readonly remove?: (dataId: string, group: string) => Promise<void>
  /** Resolves once the watch is registered; `onChange` gets every later content (null: deleted). */
  readonly watch?: (
    dataId: string,
    group: string,
    onChange: (dataId: string, content: string | null) => void
  ) => Promise<void>
  readonly watchMany?: (
    dataIds: ReadonlyArray<string>,
    group: string,
    onChange: (dataId: string, content: string | null) => void
  ) => Promise<void>
  /** A callback listener per key, where the client has that form besides `watchMany`'s. */
  readonly watchManyWithListeners?: (
    dataIds: ReadonlyArray<string>,
    group: string,
    onChange: (dataId: string, content: string | null) => void
  ) => Promise<void>
  /** All keys in one subscription (a client without one leaves it out). */
  readonly watchManyInOneStream?: (
    dataIds: ReadonlyArray<string>,
    group: string,
    onChange: (dataId: string, content: string | null) => void
  ) => Promise<void>
  /** Watches `dataIds` in `style` and drops them again (see `WarmUpCommand`). */
  readonly warmUp?: (dataIds: ReadonlyArray<string>, group: string, style: WatchStyle) => Promise<void>
  readonly close: () => Promise<void>
}

const out = new net.Socket({ fd: 3, readable: false, writable: true })

const writeLine = (value: unknown) =>
  new Promise<void>((resolve, reject) =>
    out.write(`${JSON.stringify(value)}\n`, (error) => (error ? reject(error) : resolve()))
  )

const collect = () => {
  const collector: unknown = Reflect.get(globalThis, "gc")
  if (typeof collector === "function") {
    collector()
    return true
  }
  return false
}

/**
 * Runs `gets` times `one()` with `inFlight` calls outstanding at any moment; each call's latency in microseconds.
 * A failed call counts as an error, not as a sample.
 */
export const runGetBatch = async (one: () => Promise<unknown>, inFlight: number, gets: number): Promise<GetBatch> => {
  const latenciesMicros: Array<number> = []
  let errors = 0
  let firstError: string | undefined
  let started = 0
  const worker = async () => {
    while (started < gets) {
      started++
      const begin = performance.now()
      try {
        await one()
        latenciesMicros.push(Math.round((performance.now() - begin) * 1000))
      } catch (error) {
        errors++
        firstError ??= error instanceof Error ? error.message : String(error)
      }
    }
  }
  const begin = performance.now()
  await Promise.all(Array.from({ length: Math.min(inFlight, gets) }, worker))
  return {
    millis: performance.now() - begin,
    latenciesMicros,
    errors,
    ...(firstError === undefined ? {} : { firstError })
  }
}

const handle = async (client: DriverClient, command: Command): Promise<Record<string, unknown>> => {
  const onChange = (dataId: string, content: string | null) => {
    void writeLine({ type: "event", dataId, content })
  }
  const unsupported = { ok: false, error: `${command.op} is not supported by this driver` }
  switch (command.op) {
    case "get": {
      const batch = await client.getBatch(command)
      return { ok: true, ...batch }
    }
    case "publish":
      if (client.publish === undefined) return unsupported
      await client.publish(command.dataId, command.group, command.content)
      return { ok: true }
    case "remove":
      if (client.remove === undefined) return unsupported
      await client.remove(command.dataId, command.group)
      return { ok: true }
    case "watch":
      if (client.watch === undefined) return unsupported
      await client.watch(command.dataId, command.group, onChange)
      return { ok: true }
    case "watchMany": {
      const watchMany =
        command.style === "oneStream"
          ? client.watchManyInOneStream
          : command.style === "listeners"
            ? client.watchManyWithListeners
            : client.watchMany
      if (watchMany === undefined) return unsupported
      const dataIds = Array.from({ length: command.count }, (_, i) => `${command.prefix}${i}`)
      const begin = performance.now()
      await watchMany(dataIds, command.group, onChange)
      return { ok: true, millis: performance.now() - begin }
    }
    case "warmUp": {
      if (client.warmUp === undefined) return unsupported
      const dataIds = Array.from({ length: command.count }, (_, i) => `${command.prefix}${i}`)
      await client.warmUp(dataIds, command.group, command.style)
      return { ok: true }
    }
    case "memory": {
      // twice: the first collection may leave finalisable objects for the second
      const collected = collect() && collect()
      return { ok: true, heapBytes: collected ? process.memoryUsage().heapUsed : null }
    }
    case "close":
      await client.close()
      return { ok: true }
  }
}

/** Connects `connect()`, says ready, then serves commands until `close` (or stdin ends). */
export const serve = async (clientName: string, connect: () => Promise<DriverClient>): Promise<void> => {
  const client = await connect()
  await writeLine({ type: "ready", client: clientName })
  const lines = readline.createInterface({ input: process.stdin })
  let closed = false
  for await (const line of lines) {
    if (line.trim() === "") continue
    let reply: Record<string, unknown>
    try {
      const command = decodeCommand(line)
      closed = command.op === "close"
      reply = await handle(client, command)
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? error.message : String(error) }
    }
    await writeLine({ type: "reply", ...reply })
    if (closed) break
  }
  lines.close()
  // the harness went away without a close: still close the client
  if (!closed) await client.close()
  out.end()
}

/** `<serverAddr> <workDir>` from argv. */
export const driverArgs = () => {
  const [serverAddr, workDir] = process.argv.slice(2)
  if (serverAddr === undefined || workDir === undefined) throw new Error("usage: <driver> <serverAddr> <workDir>")
  return { serverAddr, workDir }
}
