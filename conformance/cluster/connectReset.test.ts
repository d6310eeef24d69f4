/**
 * ConnectResetRequest from the real cluster: 3.1.0's loader admin API (`POST /v3/admin/core/loader/reloadClient`,
 * what its rebalancing uses) makes a node send it to one SDK connection, naming the node to move to, and then drops
 * that connection. The subject must move each module's connection to the named node and lose nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { CLUSTER_NODE_NAMES } from "../server/nacos-cluster.ts"
import {
  connectionIdOn,
  control,
  expectRegistrationsRedone,
  nodeAddr,
  nodesOf,
  openClient,
  recordFigures,
  startWorkload,
  waitFor
} from "./workload.ts"

describe("a 3-node Nacos cluster sends ConnectResetRequest", () => {
  it.live(
    "each connection moves to the node the server names; watches, registrations, subscriptions and endpoints follow",
    () =>
      Effect.gen(function* () {
        const subject = yield* openClient(CLUSTER_NODE_NAMES.map((name) => nodeAddr(name)).join(","), "reset-subject")
        const writer = yield* openClient(nodeAddr("n1"), "reset-writer")
        const workload = yield* startWorkload(subject, writer, "reset")
        const before = yield* nodesOf(subject)

        const movedMs: Record<string, number> = {}
        const moves: Record<string, string> = {}
        for (const module of ["config", "naming", "ai"] as const) {
          const from = before[module]
          const to = CLUSTER_NODE_NAMES[(CLUSTER_NODE_NAMES.indexOf(from) + 1) % CLUSTER_NODE_NAMES.length]!
          const connectionId = yield* connectionIdOn(subject, module, from)
          expect(connectionId).toBeDefined()
          const since = Date.now()
          yield* Effect.promise(() => control().resetConnection(from, connectionId!, to))
          yield* waitFor(
            `the subject's ${module} connection on ${to}`,
            Effect.promise(() => control().nodeServing(subject.appName, module)),
            (node) => node === to
          )
          // the old connection is gone from the node that asked for the reset
          yield* waitFor(
            `the old ${module} connection gone from ${from}`,
            connectionIdOn(subject, module, from),
            (id) => id === undefined
          )
          movedMs[module] = Date.now() - since
          moves[module] = `${from} -> ${to}`
        }

        const since = Date.now()
        const phase = yield* workload.advance
        yield* workload.expectPhase(phase)
        const redone = yield* expectRegistrationsRedone(subject, workload.names.registered, "n1")
        expect(redone.node).toBe(CLUSTER_NODE_NAMES[(CLUSTER_NODE_NAMES.indexOf(before.naming) + 1) % 3])

        yield* recordFigures("connectReset", {
          moves,
          movedToNamedNodeMs: movedMs,
          nextPhaseShownMs: Date.now() - since
        })
      }).pipe(Effect.scoped),
    180_000
  )
})
