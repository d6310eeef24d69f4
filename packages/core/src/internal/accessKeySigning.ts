/**
 * Access-key (RAM / Spas) request signatures, byte for byte as the Java client computes them
 * (`client-basic/…/auth/ram/injector/{Config,Naming,Ai}ResourceInjector`, `SpasAdapter`, `SignUtil`,
 * `CalculateV4SigningKeyUtil`). The vectors in `test/AccessKeySigning.test.ts` are the judge.
 *
 * Pure functions: the caller supplies the credentials, the region and the timestamp (from Effect's `Clock`).
 * A field of `AuthResource` left `undefined` stands for Java's `null`, which Java concatenates as the text "null".
 */
import * as crypto from "node:crypto"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { AuthResource } from "../Auth.ts"
import type { Credentials } from "../NacosOptions.ts"

/** `Base64(HmacSHA1(key, data))`, key and data as UTF-8: the signature every header set carries. */
export const hmacSha1Base64 = (key: string, data: string): string =>
  crypto.createHmac("sha1", Buffer.from(key, "utf8")).update(data, "utf8").digest("base64")

const hmacSha256 = (key: Uint8Array, data: string): Buffer =>
  crypto.createHmac("sha256", key).update(data, "utf8").digest()

/** Java's `Character.isWhitespace`: the Unicode separators but the no-break spaces, and the ASCII controls. */
const isJavaWhitespace = (code: number): boolean =>
  (code >= 0x09 && code <= 0x0d) ||
  (code >= 0x1c && code <= 0x20) ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a && code !== 0x2007) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x205f ||
  code === 0x3000

/** Nacos' `StringUtils.isBlank` (null, empty, or Java whitespace only). */
const isBlank = (value: string | undefined): boolean => {
  if (value === undefined) return true
  for (let index = 0; index < value.length; index++) {
    if (!isJavaWhitespace(value.charCodeAt(index))) return false
  }
  return true
}

/** What Java's string concatenation makes of a possibly-null value. */
const javaText = (value: string | undefined): string => value ?? "null"

/** The resource a config request signs: `tenant+group` when the tenant is non-blank, else the group, else "". */
export const configSignResource = (resource: AuthResource): string =>
  isBlank(resource.namespace)
    ? isBlank(resource.group)
      ? ""
      : (resource.group ?? "")
    : `${resource.namespace}+${javaText(resource.group)}`

/** The resource an AI request signs: always `namespace+group`. */
export const aiSignResource = (resource: AuthResource): string =>
  `${javaText(resource.namespace)}+${javaText(resource.group)}`

/** What `Spas-Signature` signs: `resource+timestamp`, or the bare timestamp when the resource is blank. */
export const spasSignString = (signResource: string, timestamp: string): string =>
  isBlank(signResource) ? timestamp : `${signResource}+${timestamp}`

/**
 * The naming `data` field: `timestamp@@group@@service`, or `timestamp@@service` when the name is already grouped or
 * the group is blank, or just the timestamp when that comes out empty. `None` without a service name: the Java
 * client sends no access-key headers then (its injector fails on the null name and signs nothing).
 */
export const namingSignData = (resource: AuthResource, timestamp: string): Option.Option<string> => {
  const name = resource.name
  if (name === undefined) return Option.none()
  const groupedServiceName = name.includes("@@") || isBlank(resource.group) ? name : `${resource.group}@@${name}`
  return Option.some(groupedServiceName === "" ? timestamp : `${timestamp}@@${groupedServiceName}`)
}

/** `yyyyMMdd` of the timestamp in UTC: the day a V4 signing key is valid for. */
const utcDate = (timestampMillis: number): string =>
  new Date(timestampMillis).toISOString().slice(0, 10).replaceAll("-", "")

/**
 * The V4 signing key: HMAC-SHA256 chained over the UTC date, the region, the product code `mse-nacos` and
 * `aliyun_v4_request`, starting from `aliyun_v4` + secret; its Base64 text is then the HMAC-SHA1 key.
 */
export const v4SigningKey = (secretKey: string, timestampMillis: number, regionId: string): string => {
  const dateKey = hmacSha256(Buffer.from(`aliyun_v4${secretKey}`, "utf8"), utcDate(timestampMillis))
  const regionKey = hmacSha256(dateKey, regionId)
  const productKey = hmacSha256(regionKey, "mse-nacos")
  return hmacSha256(productKey, "aliyun_v4_request").toString("base64")
}

/** How a request is signed: the credentials of the moment and, for V4 signing, the region. */
export interface Signer {
  readonly credentials: Credentials
  /** Set (non-empty) for V4 signing. */
  readonly signatureRegionId: Option.Option<string>
}

const securityTokenHeader = (credentials: Credentials): Record<string, string> =>
  credentials.securityToken === undefined ? {} : { "Spas-SecurityToken": Redacted.value(credentials.securityToken) }

/**
 * The access-key headers for one request. None for `internal` requests (server checks and the like: in Java only the
 * config, naming and AI injectors sign) and none when the access key or the secret key is blank, as in Java.
 */
export const signHeaders = (
  resource: AuthResource,
  signer: Signer,
  timestampMillis: number
): Record<string, string> => {
  const { credentials } = signer
  const secretKey = Redacted.value(credentials.secretKey)
  if (resource.module === "internal" || isBlank(credentials.accessKey) || isBlank(secretKey)) return {}
  const timestamp = String(timestampMillis)
  const regionId = Option.filter(signer.signatureRegionId, (region) => region !== "")
  const signingKey = Option.match(regionId, {
    onNone: () => secretKey,
    onSome: (region) => v4SigningKey(secretKey, timestampMillis, region)
  })
  const version: Record<string, string> = Option.isSome(regionId) ? { signatureVersion: "v4" } : {}
  if (resource.module === "naming") {
    return Option.match(namingSignData(resource, timestamp), {
      onNone: () => ({}),
      onSome: (data) => ({
        ...securityTokenHeader(credentials),
        ...version,
        ak: credentials.accessKey,
        data,
        signature: hmacSha1Base64(signingKey, data)
      })
    })
  }
  const signResource = resource.module === "config" ? configSignResource(resource) : aiSignResource(resource)
  return {
    ...securityTokenHeader(credentials),
    ...version,
    "Spas-AccessKey": credentials.accessKey,
    Timestamp: timestamp,
    "Spas-Signature": hmacSha1Base64(signingKey, spasSignString(signResource, timestamp))
  }
}
