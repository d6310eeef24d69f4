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

/** Views of subscribed services, and the one effect that gives them back. */
export interface WatchedServices {
  readonly views: ReadonlyArray<FanOut.FanOut<ServiceInfo>>
  readonly release: Effect.Effect<void>
}

export interface NamingBackend extends NamingOperations {
  readonly namespace: string
  /**
   * The shared views of subscribed services (every cluster), one per key (the keys are distinct services): no
   * value until the first answer, then the latest ServiceInfo. Any number of callers share one server-side
   * subscription per service. The caller runs `release` once when done, from a finalizer it registers in the same
   * uninterruptible region.
   */
  readonly watchServices: (keys: ReadonlyArray<ServiceKey>) => Effect.Effect<WatchedServices>
  /** The current view of a service subscribed by this client, if any (no new subscription). */
  readonly subscribedView: (key: ServiceKey) => Effect.Effect<Option.Option<ServiceInfo>>
  /** Fires after every reconnect, when the backend has one (redo of registrations). */
  readonly reconnected?: Stream.Stream<unknown> | undefined
}
