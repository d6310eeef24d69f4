/**
 * The fault proxy itself, in front of a local echo server: what each fault does to a TCP connection, as the
 * client's socket sees it. Quick (no Nacos involved), so a broken proxy is told apart from a broken client.
 */
import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FaultProxy } from "../faultProxy.ts"

let echo: net.Server
let echoPort = 0
const echoSockets = new Set<net.Socket>()

beforeAll(async () => {
  echo = net.createServer((socket) => {
    echoSockets.add(socket)
    socket.on("close", () => echoSockets.delete(socket))
    socket.on("error", () => socket.destroy())
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve))
  const address = echo.address()
  if (address === null || typeof address === "string") throw new Error("echo server has no port")
  echoPort = address.port
})

afterAll(async () => {
  for (const socket of echoSockets) socket.destroy()
  await new Promise<void>((resolve) => echo.close(() => resolve()))
})

/** A client connection that records what comes back and how it ended. */
const connect = (port: number) =>
  new Promise<{
    readonly socket: net.Socket
    readonly received: () => string
    readonly ended: Promise<string>
  }>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    let received = ""
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1")
    })
    const ended = new Promise<string>((done) => {
      socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
      socket.once("close", () => done("closed"))
    })
    socket.once("connect", () => resolve({ socket, received: () => received, ended }))
    socket.once("error", reject)
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (bounded) until `text` has come back. */
const echoed = async (client: { readonly received: () => string }, text: string, withinMs = 5_000) => {
  const deadline = Date.now() + withinMs
  while (!client.received().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no echo of ${JSON.stringify(text)} within ${withinMs} ms`)
    await sleep(5)
  }
}

const withProxy = async (body: (proxy: FaultProxy) => Promise<void>) => {
  const proxy = await FaultProxy.listen({ targetPort: echoPort })
  try {
    await body(proxy)
  } finally {
    await proxy.close()
  }
}

describe("FaultProxy", () => {
  it("forwards both ways; cut resets open connections and refuses new ones with a reset until healed", () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy.port)
      client.socket.write("hello")
      await echoed(client, "hello")

      proxy.cut()
      expect(await client.ended).toBe("ECONNRESET")
      // accepted by the kernel, then reset by the proxy (before or after the client saw it connect): never an
      // orderly close
      const during = await connect(proxy.port).then(
        (client) => client.ended,
        (error: NodeJS.ErrnoException) => error.code
      )
      expect(during).toBe("ECONNRESET")

      proxy.heal()
      const after = await connect(proxy.port)
      after.socket.write("again")
      await echoed(after, "again")
      after.socket.destroy()
      expect(proxy.stats).toMatchObject({ accepted: 3, reset: 2 })
    }))

  it("blackhole: open connections stall without closing, new ones connect and hear nothing; heal delivers it all", () =>
    withProxy(async (proxy) => {
      const open = await connect(proxy.port)
      open.socket.write("before")
      await echoed(open, "before")

      proxy.blackhole()
      let closedEarly = false
      open.ended.then(() => {
        closedEarly = true
      })
      open.socket.write("stalled")
      const fresh = await connect(proxy.port)
      fresh.ended.then(() => {
        closedEarly = true
      })
      fresh.socket.write("unheard")
      await sleep(800)
      expect(open.received()).toBe("before")
      expect(fresh.received()).toBe("")
      expect(closedEarly).toBe(false)
      expect(proxy.stats.reset).toBe(0)

      proxy.heal()
      await echoed(open, "stalled")
      await echoed(fresh, "unheard")
      open.socket.destroy()
      fresh.socket.destroy()
    }))

  it("latency delays each direction; a throttle paces the bytes", () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy.port)
      proxy.setLatency(150)
      let started = Date.now()
      client.socket.write("slow")
      await echoed(client, "slow")
      // 150 ms there, 150 ms back
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)

      proxy.setLatency(0)
      proxy.setThrottle(64 * 1024)
      const payload = "x".repeat(64 * 1024)
      started = Date.now()
      client.socket.write(payload)
      await echoed(client, `slow${payload}`, 10_000)
      // 64 KiB at 64 KiB/s: about a second (the first slice goes at once)
      expect(Date.now() - started).toBeGreaterThanOrEqual(800)
      client.socket.destroy()
    }))

  it("close resets what is open and stops listening", async () => {
    const proxy = await FaultProxy.listen({ targetPort: echoPort })
    const client = await connect(proxy.port)
    await proxy.close()
    expect(await client.ended).toBe("ECONNRESET")
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: "ECONNREFUSED" })
  })
})
