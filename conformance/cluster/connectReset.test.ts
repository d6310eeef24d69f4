/**
 * ConnectResetRequest from the real cluster: 3.1.0's loader admin API (`POST /v3/admin/core/loader/reloadClient`,
 * what its rebalancing uses) makes a node send it to one SDK connection, naming the node to move to, and then drops
 * that connection. The subject must move each module's connection to the named node and lose nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { CLUSTER_NODE_NAMES, type ClusterNodeName } from "../server/nacos-cluster.ts"
import {
  awaitConnections,
  control,
  expectRegistrationsRedone,
  nodeAddr,
  openClient,
  recordFigures,
  SUBJECT_CONNECTIONS,
  startWorkload
} from "./workload.ts"

describe("a 3-node Nacos cluster sends ConnectResetRequest", () => {
  it.live(
    "each connection moves to the node the server names; watches, registrations, subscriptions and endpoints follow",
    () =>
      Effect.gen(function* () {
        const subject = yield* openClient(CLUSTER_NODE_NAMES.map((name) => nodeAddr(name)).join(","), "reset-subject")
        const writer = yield* openClient(nodeAddr("n1"), "reset-writer")
        const workload = yield* startWorkload(subject, writer, "reset")
        const before = yield* awaitConnections(subject, SUBJECT_CONNECTIONS)
        // every connection on the node holding most of them is told to move to the next node
        const count = (node: ClusterNodeName) => before.filter((c) => c.node === node).length
        const from = [...CLUSTER_NODE_NAMES].sort((a, b) => count(b) - count(a))[0]!
        const to = CLUSTER_NODE_NAMES[(CLUSTER_NODE_NAMES.indexOf(from) + 1) % CLUSTER_NODE_NAMES.length]!
        const moving = before.filter((c) => c.node === from)
        const resetAt = Date.now()
        for (const connection of moving)
          yield* Effect.promise(() => control().resetConnection(from, connection.connectionId, to))
        // each moved to the named node (new connection ids), and the old ones are gone from the node that asked
        const after = yield* awaitConnections(
          subject,
          SUBJECT_CONNECTIONS,
          (list) =>
            list.every((c) => c.node !== from) && list.filter((c) => c.node === to).length === count(to) + moving.length
        )
        const movedMs = Date.now() - resetAt
        expect(after.filter((c) => moving.some((m) => m.connectionId === c.connectionId))).toEqual([])

        const since = Date.now()
        const phase = yield* workload.advance
        yield* workload.expectPhase(phase)
        const redone = yield* expectRegistrationsRedone(subject, workload.names.registered, "n1")
        expect(redone.node).not.toBe(from)

        yield* recordFigures("connectReset", {
          from,
          to,
          modulesMoved: moving.map((c) => c.module),
          allOnNamedNodeMsAfterReset: movedMs,
          nextPhaseShownMs: Date.now() - since
        })
      }).pipe(Effect.scoped),
    180_000
  )
})
