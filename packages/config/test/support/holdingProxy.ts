/**
 * A TCP proxy in front of a gRPC server (plain-text HTTP/2) that can hold traffic back until `release()`: the
 * server's answers only (what the client sends still arrives and the server acts on it: a request applied whose
 * answer is late or lost), or both directions (a request still on its way). Faults a real server cannot be made to
 * show on demand.
 *
 * Holding answers holds the server's HEADERS and DATA frames only: its flow-control, settings and ping frames pass,
 * so a large request still reaches the server whole, as it would reach a slow server.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"

const FRAME_HEADER_BYTES = 9
/** HTTP/2 frame types that carry an answer (DATA, HEADERS, CONTINUATION). */
const ANSWER_FRAME_TYPES: ReadonlySet<number> = new Set([0x0, 0x1, 0x9])

/** Splits a byte stream into whole HTTP/2 frames, keeping an incomplete tail for the next chunk. */
const frameSplitter = () => {
  let buffered = Buffer.alloc(0)
  return (chunk: Buffer): Array<Buffer> => {
    buffered = Buffer.concat([buffered, chunk])
    const frames: Array<Buffer> = []
    while (buffered.length >= FRAME_HEADER_BYTES) {
      const length = buffered.readUIntBE(0, 3)
      if (buffered.length < FRAME_HEADER_BYTES + length) break
      frames.push(buffered.subarray(0, FRAME_HEADER_BYTES + length))
      buffered = buffered.subarray(FRAME_HEADER_BYTES + length)
    }
    return frames
  }
}

export class HoldingProxy {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  private readonly pending: Array<() => void> = []
  private answersHeld = false
  private requestsHeld = false
  /** Client bytes still to pass before the answers are held; undefined when not armed. */

  private readonly targetPort: number
  port = 0

  constructor(targetPort: number) {
    this.targetPort = targetPort
  }

  /** Listens on `port` (0 = any free port). */
  async listen(port = 0): Promise<this> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, "127.0.0.1")
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on("close", () => this.sockets.delete(socket))
        socket.on("error", () => socket.destroy())
      }
      client.on("data", (chunk: Buffer) => {
        if (this.requestsHeld) this.pending.push(() => upstream.write(chunk))
        else upstream.write(chunk)
      })
      const serverFrames = frameSplitter()
      upstream.on("data", (chunk: Buffer) => {
        for (const frame of serverFrames(chunk)) {
          const isAnswer = ANSWER_FRAME_TYPES.has(frame.readUInt8(3))
          if (this.requestsHeld || (this.answersHeld && isAnswer)) this.pending.push(() => client.write(frame))
          else client.write(frame)
        }
      })
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === "string") throw new Error("proxy has no TCP port")
    this.port = address.port
    this.server = server
    return this
  }

  /** From now on the server's answers wait in the proxy. */
  holdAnswers(): void {
    this.answersHeld = true
  }

  /** From now on nothing passes either way. */
  holdEverything(): void {
    this.requestsHeld = true
  }

  /** Delivers what was held, in order, and stops holding. */
  release(): void {
    this.answersHeld = false
    this.requestsHeld = false
    for (const deliver of this.pending.splice(0)) deliver()
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    const server = this.server
    this.server = undefined
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A holding proxy to `targetPort` at `abovePort + offset` for the first free offset (the client's `grpc.portOffset`). */
export const holdingProxyAbove = (targetPort: number, abovePort: number) =>
  Effect.gen(function* () {
    for (let offset = 1; offset < 200 && abovePort + offset <= 65535; offset++) {
      const proxy = yield* Effect.tryPromise(() => new HoldingProxy(targetPort).listen(abovePort + offset)).pipe(
        Effect.option
      )
      if (proxy._tag === "Some") {
        yield* Effect.addFinalizer(() => Effect.promise(() => proxy.value.close()))
        return { proxy: proxy.value, portOffset: offset }
      }
    }
    return yield* Effect.die("no free port just above the HTTP port")
  })
