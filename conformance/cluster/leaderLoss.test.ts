/**
 * Raft leader loss on the real 3-node cluster: SIGKILL the nacos_config leader. Until a new leader takes writes
 * (3.1.0 keeps routing them to the old one for a while), the server answers config writes with failure. The client
 * must report each such write as a typed, retryable error (never a silent success), keep answering reads, and lose
 * nothing already written; then everything recovers, and the node rejoins.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { CLUSTER_NODE_NAMES } from "../server/nacos-cluster.ts"
import {
  control,
  nodeAddr,
  openClient,
  RECOVERY_BOUND_MS,
  recordFigures,
  restoreNodeAfterwards,
  startWorkload,
  waitFor
} from "./workload.ts"

interface Outcome {
  readonly at: number
  readonly ok: boolean
  readonly tag?: string
  readonly retryable?: boolean
  readonly message?: string
}

/** Runs one write and classifies how it ended (never fails). */
const attempt = <E extends { readonly _tag: string; readonly message: string }>(
  write: Effect.Effect<unknown, E>,
  since: number
): Effect.Effect<Outcome> =>
  write.pipe(
    Effect.match({
      onSuccess: (): Outcome => ({ at: Date.now() - since, ok: true }),
      onFailure: (error): Outcome => ({
        at: Date.now() - since,
        ok: false,
        tag: error._tag,
        retryable: "isRetryable" in error && error.isRetryable === true,
        message: error.message.slice(0, 200)
      })
    })
  )

describe("a 3-node Nacos cluster loses its raft leader", () => {
  it.live(
    "writes fail as typed retryable errors until a new leader takes them; reads answer; nothing written is lost",
    () =>
      Effect.gen(function* () {
        const subject = yield* openClient(
          CLUSTER_NODE_NAMES.map((name) => nodeAddr(name)).join(","),
          "leader-loss-subject"
        )
        const leader = yield* Effect.promise(() => control().raftLeader())
        const follower = CLUSTER_NODE_NAMES.find((name) => name !== leader)!
        const writer = yield* openClient(nodeAddr(follower), "leader-loss-writer")
        const workload = yield* startWorkload(subject, writer, "leader-loss")
        const readKey = workload.configs[0]!
        const readService = workload.names.registered[0]!

        const killedAt = Date.now()
        yield* restoreNodeAfterwards(leader)
        yield* Effect.promise(() => control().kill(leader))
        const election = yield* Effect.forkScoped(
          Effect.promise(() => control().raftLeader("nacos_config", 60_000)).pipe(
            Effect.map((name) => ({ name, ms: Date.now() - killedAt }))
          )
        )

        // the subject writes a new config and releases a new card every 500 ms, and reads, until writes work again
        const configWrites: Array<Outcome & { readonly dataId: string; readonly content: string }> = []
        const cardWrites: Array<Outcome & { readonly name: string }> = []
        const readFailures: Array<string> = []
        for (let i = 0; Date.now() - killedAt < 45_000; i++) {
          const dataId = `${readKey}-probe-${i}`
          const content = `probe ${i}`
          configWrites.push({
            dataId,
            content,
            ...(yield* attempt(subject.config.publish({ dataId, content }), killedAt))
          })
          const name = `${workload.names.watchedCard}-probe-${i}`
          const card = {
            name,
            version: "1.0.0",
            protocolVersion: "0.3.0",
            preferredTransport: "JSONRPC",
            url: `http://127.0.0.1:9999/${name}`
          }
          cardWrites.push({
            name,
            ...(yield* attempt(subject.ai.releaseAgentCard({ card, setAsLatest: true }), killedAt))
          })
          // reads keep answering with what was written before the kill
          const read = yield* subject.config.get({ dataId: readKey }).pipe(Effect.result)
          if (read._tag === "Failure" || read.success !== `${readKey}@0`)
            readFailures.push(`config get: ${JSON.stringify(read).slice(0, 200)}`)
          const listed = yield* writer.naming
            .listInstances({ serviceName: readService, subscribe: false })
            .pipe(Effect.result)
          if (listed._tag === "Failure" || listed.success.length !== 1)
            readFailures.push(`naming list: ${JSON.stringify(listed).slice(0, 200)}`)
          const failedYet = configWrites.some((w) => !w.ok)
          const lastTwoOk = configWrites.slice(-2).every((w) => w.ok) && cardWrites.slice(-2).every((w) => w.ok)
          if (failedYet && configWrites.length >= 2 && lastTwoOk) break
          yield* Effect.sleep("500 millis")
        }

        const failures = [...configWrites, ...cardWrites].filter((w) => !w.ok)
        // the server did refuse writes for a while, and each refusal reached the caller as a typed retryable error
        expect(configWrites.filter((w) => !w.ok).length).toBeGreaterThan(0)
        for (const failure of failures) {
          expect(["ServerError", "TransportError"]).toContain(failure.tag)
          expect(failure.retryable).toBe(true)
        }
        // and writes work again
        expect(configWrites.slice(-2).every((w) => w.ok)).toBe(true)
        expect(readFailures).toEqual([])

        // every write reported as a success did happen: the other client reads each one
        for (const write of configWrites.filter((w) => w.ok))
          yield* waitFor(
            `config ${write.dataId} written`,
            writer.config.get({ dataId: write.dataId }),
            (c) => c === write.content
          )
        for (const write of cardWrites.filter((w) => w.ok))
          yield* waitFor(
            `card ${write.name} released`,
            writer.ai.getAgentCard({ name: write.name }),
            (d) => d.name === write.name
          )
        // a refused write may still have been applied later (the outcome of a timed-out raft write is unknown)
        let failedButApplied = 0
        for (const write of configWrites.filter((w) => !w.ok)) {
          const read = yield* writer.config.get({ dataId: write.dataId }).pipe(Effect.option)
          if (read._tag === "Some" && read.value === write.content) failedButApplied++
        }

        // nothing written before the kill is lost, and the watches, registrations and subscriptions still work
        yield* workload.expectPhase(0)
        const elected = yield* Fiber.join(election)
        expect(elected.name).not.toBe(leader)
        const recoveryStart = Date.now()
        const phase = yield* workload.advance
        yield* workload.expectPhase(phase)
        const everythingBackMs = Date.now() - killedAt
        const phaseShownMs = Date.now() - recoveryStart

        // the old leader comes back as a follower; the cluster is whole and keeps serving
        yield* Effect.promise(() => control().start(leader))
        yield* Effect.promise(() => control().awaitWhole())
        const last = yield* workload.advance
        yield* workload.expectPhase(last)

        const firstFailure = failures.reduce((min, w) => Math.min(min, w.at), Number.POSITIVE_INFINITY)
        const lastFailure = failures.reduce((max, w) => Math.max(max, w.at), 0)
        expect(lastFailure).toBeLessThan(RECOVERY_BOUND_MS + 15_000)
        yield* recordFigures("leaderLoss", {
          killedLeader: leader,
          newLeader: elected.name,
          newLeaderAgreedMsAfterKill: elected.ms,
          writesAttempted: configWrites.length + cardWrites.length,
          writesRefused: failures.length,
          refusedAs: [...new Set(failures.map((f) => `${f.tag}: ${f.message}`))].slice(0, 5),
          firstRefusalMsAfterKill: firstFailure,
          lastRefusalMsAfterKill: lastFailure,
          refusedButAppliedLater: failedButApplied,
          nextPhaseShownMs: phaseShownMs,
          everythingBackMsAfterKill: everythingBackMs
        })
      }).pipe(Effect.scoped),
    240_000
  )
})
