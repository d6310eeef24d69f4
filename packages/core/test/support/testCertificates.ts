/**
 * Throwaway certificates for the TLS tests, made with the `openssl` CLI in a temporary directory: a CA, a server
 * certificate it signed for 127.0.0.1/localhost, a client certificate it signed, and a second, unrelated CA.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export interface TestCertificates {
  readonly dir: string
  /** PEM file paths. */
  readonly caFile: string
  readonly otherCaFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  /** The same, read. */
  readonly ca: Buffer
  readonly serverCert: Buffer
  readonly serverKey: Buffer
  readonly remove: () => void
}

const openssl = (cwd: string, args: ReadonlyArray<string>) => execFileSync("openssl", args, { cwd, stdio: "pipe" })

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

const makeCa = (dir: string, name: string) =>
  openssl(dir, [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=effect-nacos ${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign"
  ])

const makeLeaf = (dir: string, name: string, extensions: string) => {
  openssl(dir, ["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`])
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions)
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`
  ])
}

export const makeTestCertificates = (): TestCertificates => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nacos-tls-"))
  makeCa(dir, "ca")
  makeCa(dir, "other-ca")
  makeLeaf(
    dir,
    "server",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
  )
  makeLeaf(dir, "client", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
  const file = (name: string) => path.join(dir, name)
  return {
    dir,
    caFile: file("ca.pem"),
    otherCaFile: file("other-ca.pem"),
    serverCertFile: file("server.pem"),
    serverKeyFile: file("server.key"),
    clientCertFile: file("client.pem"),
    clientKeyFile: file("client.key"),
    ca: fs.readFileSync(file("ca.pem")),
    serverCert: fs.readFileSync(file("server.pem")),
    serverKey: fs.readFileSync(file("server.key")),
    remove: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}
