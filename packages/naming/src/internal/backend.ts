/**
 * What the service needs from wherever instances live (a Nacos server, or memory). The operations are the
 * server's own (one publish per service per client, reference §2.8): which one to send for a registration is the
 * service's job (see `registrations.ts`), so every backend gets the same semantics.
 */

import type {
  AuthError,
  FanOut,
  InvalidArgumentError,
  NotSupportedError,
  ServerError,
  TransportError
} from "@effect-nacos/core"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { ServiceInfo, ServiceList } from "../NamingModels.ts"
import type { ServiceKey } from "./serviceKey.ts"

/** An instance as sent: every field filled (the server would otherwise fill some badly, verification N13). */
export interface OutgoingInstance {
  readonly ip: string
  readonly port: number
  readonly weight: number
  readonly healthy: boolean
  readonly enabled: boolean
  readonly ephemeral: boolean
  readonly clusterName: string
  readonly metadata: Readonly<Record<string, string>>
}

export type OperationError = TransportError | ServerError | AuthError | InvalidArgumentError

export interface NamingOperations {
  /** Replaces this client's ephemeral instances of the service with `instance`. */
  readonly register: (key: ServiceKey, instance: OutgoingInstance) => Effect.Effect<void, OperationError>
  /** Replaces this client's ephemeral instances of the service with `instances` (an empty list clears them). */
  readonly batchRegister: (
    key: ServiceKey,
    instances: ReadonlyArray<OutgoingInstance>
  ) => Effect.Effect<void, OperationError>
  /** Removes every ephemeral instance this client published for the service (the server ignores `instance`). */
  readonly deregister: (key: ServiceKey, instance: OutgoingInstance) => Effect.Effect<void, OperationError>
  /** Writes (or overwrites) a persistent instance. */
  readonly registerPersistent: (
    key: ServiceKey,
    instance: OutgoingInstance
  ) => Effect.Effect<void, OperationError | NotSupportedError>
  readonly deregisterPersistent: (
    key: ServiceKey,
    instance: OutgoingInstance
  ) => Effect.Effect<void, OperationError | NotSupportedError>
  /** The enabled instances of the service, filtered by the server (clusters, healthy). Never subscribes. */
  readonly query: (
    key: ServiceKey,
    clusters: ReadonlyArray<string>,
    healthyOnly: boolean
  ) => Effect.Effect<ServiceInfo, OperationError>
  readonly listServices: (
    namespace: string,
    groupName: string,
    pageNo: number,
    pageSize: number
  ) => Effect.Effect<ServiceList, OperationError>
}

/** A hold on one subscribed service: its shared view, no value until the first answer, then the latest. */
export interface ServiceHold {
  /** `group@@service`. */
  readonly id: string
  readonly view: FanOut.FanOut<ServiceInfo>
}

export interface NamingBackend extends NamingOperations {
  readonly namespace: string
  /**
   * Holds subscribed services (every cluster), one hold per key (the keys are distinct services). Any number of
   * callers share one server-side subscription per service. The caller gives the holds back once, with
   * `releaseServices`, from a finalizer it registers in the same uninterruptible region.
   */
  readonly holdServices: (keys: ReadonlyArray<ServiceKey>) => Effect.Effect<ReadonlyArray<ServiceHold>>
  /** Gives holds back: the last holder of a service leaving ends its server-side subscription. */
  readonly releaseServices: (holds: ReadonlyArray<ServiceHold>) => Effect.Effect<void>
  /** The current view of a service subscribed by this client, if any (no new subscription). */
  readonly subscribedView: (key: ServiceKey) => Effect.Effect<Option.Option<ServiceInfo>>
  /** Fires after every reconnect, when the backend has one (redo of registrations). */
  readonly reconnected?: Stream.Stream<unknown> | undefined
}
