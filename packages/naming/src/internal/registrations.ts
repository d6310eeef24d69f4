/**
 * This client's ephemeral instances, per service, and what is sent for them.
 *
 * The server keeps one publish per service per connection (reference §2.8): a second `InstanceRequest` for a
 * service replaces the first, and a deregister removes everything the connection published for it (verification
 * N7). So the client holds the set itself and sends the whole set each time: one instance as `InstanceRequest`,
 * several as `BatchInstanceRequest`, none as a deregister — the Java client's batch-deregister rule
 * (`getRetainInstance`), applied to every change. The same set is re-sent after a reconnect (redo) and withdrawn
 * when the layer's scope closes.
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import type { NamingOperations, OperationError, OutgoingInstance } from "./backend.ts"
import { describeKey, groupedName, type ServiceKey } from "./serviceKey.ts"

/** Instances are the same registration when ip, port and cluster match (the server's instance key). */
export const instanceKey = (instance: { readonly ip: string; readonly port: number; readonly clusterName: string }) =>
  `${instance.ip}:${instance.port}:${instance.clusterName}`

interface Registered {
  readonly key: ServiceKey
  readonly instances: Map<string, OutgoingInstance>
}

export interface Registrations {
  /** Adds (or replaces, same ip/port/cluster) instances of a service and sends the set. */
  readonly add: (key: ServiceKey, instances: ReadonlyArray<OutgoingInstance>) => Effect.Effect<void, OperationError>
  /** Removes instances of a service (matched on ip/port/cluster) and sends what remains. */
  readonly remove: (key: ServiceKey, instances: ReadonlyArray<OutgoingInstance>) => Effect.Effect<void, OperationError>
  /** Re-sends every set (after a reconnect); a service that fails is retried on `retry`, the others go on. */
  readonly redo: Effect.Effect<void>
  /** Whether this client registered that instance (same ip/port/cluster) of the service. */
  readonly has: (key: ServiceKey, instance: OutgoingInstance) => boolean
}

export const make = Effect.fnUntraced(function* (options: {
  readonly operations: NamingOperations
  readonly retry: Schedule.Schedule<unknown>
  /** Budget of the graceful deregistration when the scope closes. */
  readonly closeTimeout: Duration.Input
  /** Whether a deregister can reach the server now; without a session the server drops the instances itself. */
  readonly reachable: Effect.Effect<boolean>
}) {
  const { operations } = options
  const services = new Map<string, Registered>()
  const lock = yield* Semaphore.make(1)

  const send = (key: ServiceKey, set: ReadonlyArray<OutgoingInstance>, last: OutgoingInstance | undefined) => {
    const [only] = set
    if (set.length === 1 && only !== undefined) return operations.register(key, only)
    if (set.length > 1) return operations.batchRegister(key, set)
    return last === undefined ? Effect.void : operations.deregister(key, last)
  }

  /** Applies `change` to a copy of the set, sends it, and keeps it only once the server took it. */
  const change = (
    key: ServiceKey,
    apply: (instances: Map<string, OutgoingInstance>) => void
  ): Effect.Effect<void, OperationError> =>
    lock.withPermits(1)(
      Effect.suspend(() => {
        const id = groupedName(key)
        const current = services.get(id)
        const next = new Map(current?.instances ?? [])
        apply(next)
        const last = [...(current?.instances.values() ?? [])].at(-1)
        return Effect.tap(send(key, [...next.values()], last), () =>
          Effect.sync(() => {
            if (next.size === 0) services.delete(id)
            else services.set(id, { key, instances: next })
          })
        )
      })
    )

  const redo = lock.withPermits(1)(
    Effect.suspend(() =>
      Effect.forEach(
        [...services.values()],
        (registered) =>
          send(registered.key, [...registered.instances.values()], undefined).pipe(
            Effect.retry(options.retry),
            Effect.catch((error) =>
              Effect.logWarning(`naming redo: ${describeKey(registered.key)} not re-registered (${error.message})`)
            )
          ),
        { concurrency: 8, discard: true }
      )
    )
  )

  // Before the connection closes (it was opened before this, so it closes after): the server would drop the
  // instances with the connection anyway, but only once it notices; a graceful deregister tells it now.
  // Without a session there is nobody to tell (and waiting for one would hold the close for every service).
  yield* Effect.addFinalizer(() =>
    Effect.flatMap(options.reachable, (reachable) =>
      Effect.forEach(
        reachable ? [...services.values()] : [],
        (registered) => {
          const last = [...registered.instances.values()].at(-1)
          return last === undefined
            ? Effect.void
            : operations.deregister(registered.key, last).pipe(
                Effect.timeout(options.closeTimeout),
                Effect.catchCause(() => Effect.void)
              )
        },
        { concurrency: 8, discard: true }
      )
    ).pipe(Effect.andThen(Effect.sync(() => services.clear())))
  )

  return {
    add: (key, instances) =>
      change(key, (set) => {
        for (const instance of instances) set.set(instanceKey(instance), instance)
      }),
    remove: (key, instances) =>
      change(key, (set) => {
        for (const instance of instances) set.delete(instanceKey(instance))
      }),
    redo,
    has: (key, instance) => services.get(groupedName(key))?.instances.has(instanceKey(instance)) === true
  } satisfies Registrations
})

/** Default budget of the graceful deregistration at close. */
export const CLOSE_TIMEOUT = Duration.seconds(3)
