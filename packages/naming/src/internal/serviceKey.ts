/** A service's coordinates, and the `group@@service` name the server and the local files key it by. */
import { DEFAULT_GROUP } from "../NamingModels.ts"

export interface ServiceKey {
  readonly namespace: string
  readonly groupName: string
  readonly serviceName: string
}

export const makeKey = (namespace: string, serviceName: string, groupName: string | undefined): ServiceKey => ({
  namespace,
  serviceName,
  groupName: groupName === undefined || groupName === "" ? DEFAULT_GROUP : groupName
})

/**
 * `group@@service` (Java `NamingUtils.getGroupedName`). Joined, not concatenated: a flat string from the start,
 * where a concatenation kept as a Map key is two strings once hashed (the pair, and its flattened copy).
 */
export const groupedName = (key: ServiceKey): string => [key.groupName, key.serviceName].join("@@")

export const describeKey = (key: ServiceKey): string => `service ${key.serviceName} (group ${key.groupName})`
