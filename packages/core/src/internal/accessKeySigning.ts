/**
 * Access-key (RAM / Spas) request signatures, as the Java client computes them
 * (`client-basic/…/auth/ram/injector/{Config,Naming,Ai}ResourceInjector`, `SpasAdapter`, `SignUtil`).
 *
 * Pure functions: the caller supplies the credentials and the timestamp (from Effect's `Clock`).
 */
import * as crypto from "node:crypto"
import * as Redacted from "effect/Redacted"
import type { AuthResource } from "../Auth.ts"
import type { Credentials } from "../NacosOptions.ts"

/** `Base64(HmacSHA1(key, data))`, key and data as UTF-8: the signature every Spas header set carries. */
export const hmacSha1Base64 = (key: string, data: string): string =>
  crypto.createHmac("sha1", Buffer.from(key, "utf8")).update(data, "utf8").digest("base64")

const isBlank = (value: string | undefined): boolean => value === undefined || value.trim() === ""

/**
 * The resource a config request signs: `tenant+group` when the tenant is non-blank, else the group, else "".
 * (Java concatenates even a missing group as the text "null"; we sign an empty group instead.)
 */
export const configSignResource = (resource: AuthResource): string =>
  isBlank(resource.namespace)
    ? isBlank(resource.group)
      ? ""
      : (resource.group ?? "")
    : `${resource.namespace}+${resource.group ?? ""}`

/** The resource an AI request signs: always `namespace+group`. */
export const aiSignResource = (resource: AuthResource): string => `${resource.namespace ?? ""}+${resource.group ?? ""}`

/** What `Spas-Signature` signs: `resource+timestamp`, or the bare timestamp when the resource is blank. */
export const spasSignString = (signResource: string, timestamp: string): string =>
  isBlank(signResource) ? timestamp : `${signResource}+${timestamp}`

/**
 * The naming `data` field: `timestamp@@group@@service`, or `timestamp@@service` when the name is already grouped or
 * the group is blank, or just the timestamp when there is no service.
 */
export const namingSignData = (resource: AuthResource, timestamp: string): string => {
  const name = resource.name ?? ""
  if (name === "") return timestamp
  const groupedServiceName = name.includes("@@") || isBlank(resource.group) ? name : `${resource.group}@@${name}`
  return `${timestamp}@@${groupedServiceName}`
}

const securityTokenHeader = (credentials: Credentials): Record<string, string> =>
  credentials.securityToken === undefined ? {} : { "Spas-SecurityToken": Redacted.value(credentials.securityToken) }

/**
 * The identity headers for one request. `internal` requests (server checks and the like) carry none, as in Java,
 * where only the config, naming and AI injectors sign.
 */
export const signHeaders = (
  resource: AuthResource,
  credentials: Credentials,
  timestampMillis: number
): Record<string, string> => {
  const timestamp = String(timestampMillis)
  const secretKey = Redacted.value(credentials.secretKey)
  switch (resource.module) {
    case "config":
    case "ai": {
      const signResource = resource.module === "config" ? configSignResource(resource) : aiSignResource(resource)
      return {
        ...securityTokenHeader(credentials),
        "Spas-AccessKey": credentials.accessKey,
        Timestamp: timestamp,
        "Spas-Signature": hmacSha1Base64(secretKey, spasSignString(signResource, timestamp))
      }
    }
    case "naming": {
      const data = namingSignData(resource, timestamp)
      return {
        ...securityTokenHeader(credentials),
        ak: credentials.accessKey,
        data,
        signature: hmacSha1Base64(secretKey, data)
      }
    }
    case "internal":
      return {}
  }
}
