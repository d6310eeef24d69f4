/**
 * Node loss on the real 3-node cluster: SIGKILL the node the subject client is connected to. The subject (given all
 * three addresses) must move to the other nodes and lose nothing: a publish made on a second node by another client
 * reaches its watches, its ephemeral instances and its agent endpoint are back on the server (published by its new
 * connection), its subscription and card watch see changes. Then the node comes back and the cluster is whole again.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { CLUSTER_NODE_NAMES, type ClusterNodeName } from "../server/nacos-cluster.ts"
import {
  control,
  expectRegistrationsRedone,
  nodeAddr,
  nodesOf,
  openClient,
  RECOVERY_BOUND_MS,
  recordFigures,
  startWorkload,
  waitFor
} from "./workload.ts"

describe("a 3-node Nacos cluster loses the node the client is connected to", () => {
  it.live(
    "the client moves to the other nodes with its watches, registrations, subscriptions and endpoints; the node returns",
    () =>
      Effect.gen(function* () {
        const subject = yield* openClient(
          CLUSTER_NODE_NAMES.map((name) => nodeAddr(name)).join(","),
          "node-loss-subject"
        )
        // the node carrying most of the subject's three module connections goes down
        const before = yield* nodesOf(subject)
        const modules = ["config", "naming", "ai"] as const
        const count = (node: ClusterNodeName) => modules.filter((m) => before[m] === node).length
        const victim = [...CLUSTER_NODE_NAMES].sort((a, b) => count(b) - count(a))[0]!
        const survivor = CLUSTER_NODE_NAMES.find((name) => name !== victim)!
        const writer = yield* openClient(nodeAddr(survivor), "node-loss-writer")
        const workload = yield* startWorkload(subject, writer, "node-loss")

        const configLeader = yield* Effect.promise(() => control().raftLeader())
        const killedAt = Date.now()
        yield* Effect.promise(() => control().kill(victim))
        // how long each of the subject's connections on the killed node takes to be on another one
        const moved = yield* Effect.forkScoped(
          Effect.forEach(
            modules.filter((m) => before[m] === victim),
            (module) =>
              waitFor(
                `the subject's ${module} connection off the killed node`,
                Effect.promise(() => control().nodeServing(subject.appName, module)),
                (node) => node !== null && node !== victim
              ).pipe(Effect.map(() => [module, Date.now() - killedAt] as const)),
            { concurrency: "unbounded" }
          )
        )
        // how long until the subject's naming queries are answered again (by whichever node)
        const namingAnswers = yield* Effect.forkScoped(
          waitFor(
            "the subject's naming query answered",
            subject.naming.listInstances({ serviceName: workload.names.registered[0]!, subscribe: false }),
            (hosts) => hosts.length === 1
          ).pipe(Effect.map(() => Date.now() - killedAt))
        )
        // the second node's client changes everything the subject watches while the subject is moving
        const phase = yield* workload.advance
        const movedMs = Object.fromEntries(yield* Fiber.join(moved))
        const namingAnsweredMs = yield* Fiber.join(namingAnswers)
        yield* workload.expectPhase(phase)
        const redone = yield* expectRegistrationsRedone(subject, workload.names.registered, survivor)
        expect(redone.node).not.toBe(victim)
        const recoveredMs = Date.now() - killedAt
        expect(recoveredMs).toBeLessThan(RECOVERY_BOUND_MS * 2)

        // the node comes back in place and rejoins; the subject keeps working across it
        const restartedAt = Date.now()
        yield* Effect.promise(() => control().start(victim))
        yield* Effect.promise(() => control().awaitWhole())
        const wholeMs = Date.now() - restartedAt
        const last = yield* workload.advance
        yield* workload.expectPhase(last)
        yield* expectRegistrationsRedone(subject, workload.names.registered, victim)

        yield* recordFigures("nodeLoss", {
          victim,
          victimWasConfigRaftLeader: victim === configLeader,
          subjectModulesOnVictim: modules.filter((m) => before[m] === victim),
          connectionMovedMsAfterKill: movedMs,
          subjectNamingQueryAnsweredMsAfterKill: namingAnsweredMs,
          everythingBackMsAfterKill: recoveredMs,
          nodeBackWholeMsAfterStart: wholeMs
        })
      }).pipe(Effect.scoped),
    240_000
  )
})
