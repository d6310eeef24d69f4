/**
 * A config's coordinates inside the client, and the helpers every backend shares.
 */
import { createHash } from "node:crypto"
import type { Cache } from "@effect-nacos/core"
import { DEFAULT_GROUP } from "../ConfigModels.ts"

/** dataId + group + namespace; the same shape as the cache's key. */
export type ConfigKey = Cache.ConfigKey

/** Omitted or empty group → DEFAULT_GROUP (Java `blank2defaultGroup`). */
export const resolveGroup = (group: string | undefined): string =>
  group === undefined || group === "" ? DEFAULT_GROUP : group

export const makeKey = (namespace: string, dataId: string, group: string | undefined): ConfigKey => ({
  namespace,
  group: resolveGroup(group),
  dataId
})

/**
 * A map key for one config. The characters allowed in dataId/group exclude `+`, so the Java group-key form is
 * unambiguous here.
 */
// joined, not concatenated: a template literal leaves a rope of string pieces per key (10 000 watched keys each
// keep their id), a join one flat string
export const keyString = (key: ConfigKey): string => [key.dataId, key.group, key.namespace].join("+")

/** Lowercase hex MD5 of the UTF-8 bytes, as the server computes it; an absent config has md5 "". */
export const md5Of = (content: string): string => createHash("md5").update(content, "utf8").digest("hex")

/** For error messages: `namespace/group/dataId`. */
export const describeKey = (key: ConfigKey): string => `config:${key.namespace}/${key.group}/${key.dataId}`
