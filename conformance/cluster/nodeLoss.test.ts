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
  awaitConnections,
  control,
  expectRegistrationsRedone,
  nodeAddr,
  openClient,
  RECOVERY_BOUND_MS,
  recordFigures,
  restoreNodeAfterwards,
  SUBJECT_CONNECTIONS,
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
        // the node carrying most of the subject's module connections goes down
        const initial = yield* awaitConnections(subject, 3)
        const count = (node: ClusterNodeName) => initial.filter((c) => c.node === node).length
        const victim = [...CLUSTER_NODE_NAMES].sort((a, b) => count(b) - count(a))[0]!
        const survivor = CLUSTER_NODE_NAMES.find((name) => name !== victim)!
        const writer = yield* openClient(nodeAddr(survivor), "node-loss-writer")
        const workload = yield* startWorkload(subject, writer, "node-loss")
        const before = yield* awaitConnections(subject, SUBJECT_CONNECTIONS)
        const onVictim = before.filter((c) => c.node === victim).map((c) => c.module)
        expect(onVictim.length).toBeGreaterThan(0)

        const configLeader = yield* Effect.promise(() => control().raftLeader())
        const killedAt = Date.now()
        yield* restoreNodeAfterwards(victim)
        yield* Effect.promise(() => control().kill(victim))
        // how long until every one of the subject's connections is on another node
        const moved = yield* Effect.forkScoped(
          awaitConnections(subject, SUBJECT_CONNECTIONS, (list) => list.every((c) => c.node !== victim)).pipe(
            Effect.map(() => Date.now() - killedAt)
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
        const movedMs = yield* Fiber.join(moved)
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
          subjectConnectionsOnVictim: onVictim,
          allConnectionsOffVictimMsAfterKill: movedMs,
          subjectNamingQueryAnsweredMsAfterKill: namingAnsweredMs,
          everythingBackMsAfterKill: recoveredMs,
          nodeBackWholeMsAfterStart: wholeMs
        })
      }).pipe(Effect.scoped),
    240_000
  )
})
