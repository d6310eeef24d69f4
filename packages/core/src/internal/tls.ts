/**
 * The TLS material of the `tls` option (CA, client certificate and key, read from their files) and the names of
 * the handshake steps a TLS failure happened in. Shared by the HTTP client and the gRPC channel, so both read the
 * same files and report a failure the same way.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as nodeTls from "node:tls"
import * as Effect from "effect/Effect"
import type { TlsOptions } from "../NacosOptions.ts"

/** The file contents; a missing CA means the system's trusted roots. */
export interface TlsMaterial {
  readonly ca: Buffer | undefined
  readonly cert: Buffer | undefined
  readonly key: Buffer | undefined
}

/** A TLS file that could not be read: names the option and the file. */
export interface TlsFileFailure {
  readonly field: "tls.caFile" | "tls.certFile" | "tls.keyFile"
  readonly message: string
  readonly cause: unknown
}

const FILE_ROLES = {
  "tls.caFile": "CA certificate",
  "tls.certFile": "client certificate",
  "tls.keyFile": "client key"
} as const

const readTlsFile = (
  field: TlsFileFailure["field"],
  file: string | undefined
): Effect.Effect<Buffer | undefined, TlsFileFailure> =>
  file === undefined
    ? Effect.succeed(undefined)
    : Effect.try({
        try: () => fs.readFileSync(file),
        catch: (cause): TlsFileFailure => ({
          field,
          message: `cannot read the TLS ${FILE_ROLES[field]} ${JSON.stringify(file)} (${field}): ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          cause
        })
      })

/**
 * Whether TLS can use a file that could be read: a CA that is no PEM certificate (which Node's TLS would silently
 * ignore, trusting nothing), a key that is no key, a certificate that does not go with the key.
 */
const checkUsable = (
  field: TlsFileFailure["field"],
  file: string | undefined,
  check: () => unknown
): Effect.Effect<void, TlsFileFailure> =>
  Effect.try({
    try: check,
    catch: (cause): TlsFileFailure => ({
      field,
      message: `the TLS ${FILE_ROLES[field]} ${JSON.stringify(file)} (${field}) is unusable: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      cause
    })
  })

/**
 * Reads the files the options name, each once, and checks that TLS can use them (PEM, key matching certificate).
 * Fails with the first file that cannot be read or used.
 */
export const readTlsMaterial = (tls: TlsOptions): Effect.Effect<TlsMaterial, TlsFileFailure> =>
  Effect.gen(function* () {
    const material = yield* Effect.all({
      ca: readTlsFile("tls.caFile", tls.caFile),
      cert: readTlsFile("tls.certFile", tls.certFile),
      key: readTlsFile("tls.keyFile", tls.keyFile)
    })
    const { ca, cert, key } = material
    if (ca !== undefined) yield* checkUsable("tls.caFile", tls.caFile, () => new crypto.X509Certificate(ca))
    if (cert !== undefined && key !== undefined) {
      yield* checkUsable("tls.keyFile", tls.keyFile, () => nodeTls.createSecureContext({ key }))
      yield* checkUsable("tls.certFile", tls.certFile, () => nodeTls.createSecureContext({ cert, key }))
    }
    return material
  })

/** OpenSSL / Node codes of a certificate the client could not verify against its CA. */
const VERIFY_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE"
])

/** The same failures as grpc-js reports them: only the message survives there. */
const VERIFY_MESSAGES =
  /self[- ]signed certificate|unable to (?:verify|get (?:local )?issuer)|certificate (?:has expired|is not yet valid|signature failure|revoked)|certificate verify failed/i

/**
 * The handshake step a TLS failure happened in, or `undefined` when the failure is not about TLS.
 * `code` is the Node error code when there is one; grpc-js passes only the message.
 */
export const tlsFailureStep = (code: string | undefined, message: string): string | undefined => {
  if ((code !== undefined && VERIFY_CODES.has(code)) || VERIFY_MESSAGES.test(message)) {
    return "certificate verify failed"
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /does not match certificate's altnames|altname/i.test(message)) {
    return "certificate verify failed: the certificate is not issued for this host"
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return "handshake failed: the server did not answer in TLS (a plain-text port?)"
  }
  if (/before secure TLS connection was established/i.test(message)) {
    return "handshake failed: the server closed the connection (a plain-text port?)"
  }
  if (
    /alert (?:bad certificate|certificate required|unknown ca|handshake failure)|certificate required/i.test(message)
  ) {
    return "handshake failed: the server refused the client certificate"
  }
  if (/^ERR_OSSL_/.test(code ?? "") || /PEM routines|no start line|key values mismatch|bad decrypt/.test(message)) {
    return "the TLS certificate or key is unusable"
  }
  if (code !== undefined && (code === "EPROTO" || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_"))) {
    return "handshake failed"
  }
  return undefined
}

/**
 * OpenSSL's error lines (`C03C…:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/…
 * .c:77:`) reduced to their reason (`wrong version number`): the rest is library internals.
 */
export const tidyOpenSslText = (text: string): string =>
  text
    .replace(/(?:[0-9A-F]+:)?error:[0-9A-F]+:[^:\n]*:[^:\n]*:([^:\n]+)(?::[^\s:]*:\d+:)?/g, "$1")
    .replace(/\s*SSL alert number \d+/g, "")
    .replace(/\s+$/, "")
