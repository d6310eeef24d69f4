/**
 * Filters and the cipher: `cipher-*` configs are stored encrypted, with their data key (`encryptedDataKey`) next
 * to them, as the Java client's KMS plugin does — here with AES-256-GCM from `node:crypto` and a master key of
 * your own (no cloud SDK). A second filter shows what the server stores.
 *
 *   npm run example -- examples/filters.ts                                  # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/filters.ts # on a real Nacos server
 */

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { ConfigFilter, ConfigService } from "@effect-nacos/config"
import { InvalidArgumentError, Nacos } from "@effect-nacos/core"
import { Effect, Layer, Schedule } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""

// In production the master key comes from your secret store; a fresh one per run is enough to show the mechanism.
const masterKey = randomBytes(32)

/** AES-256-GCM, as `iv.tag.ciphertext` in base64. */
const seal = (key: Buffer, plain: Buffer): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()])
  return [iv, cipher.getAuthTag(), encrypted].map((part) => part.toString("base64")).join(".")
}

const open = (key: Buffer, sealed: string): Buffer => {
  const [iv = "", tag = "", encrypted = ""] = sealed.split(".")
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"))
  decipher.setAuthTag(Buffer.from(tag, "base64"))
  return Buffer.concat([decipher.update(Buffer.from(encrypted, "base64")), decipher.final()])
}

// Envelope encryption: each publish gets a fresh data key; only the data key is encrypted with the master key.
const aesCipher: ConfigFilter.ConfigCipher = {
  encrypt: (config) =>
    Effect.sync(() => {
      const dataKey = randomBytes(32)
      return { content: seal(dataKey, Buffer.from(config.content, "utf8")), encryptedDataKey: seal(masterKey, dataKey) }
    }),
  decrypt: (config) =>
    Effect.try({
      try: () => open(open(masterKey, config.encryptedDataKey), config.content).toString("utf8"),
      catch: () =>
        new InvalidArgumentError({ field: "content", message: `${config.dataId}: cannot be decrypted with this key` })
    })
}

// The highest order runs last before publish and first after get: it sees the content as the server keeps it.
const showStored: ConfigFilter.ConfigFilter = {
  name: "show-stored",
  order: 100,
  beforePublish: (config) => Effect.as(Effect.log(`stored as: ${config.content.slice(0, 40)}…`), config)
}

const filters = [ConfigFilter.cipher(aesCipher), showStored]

const ConfigLive =
  serverAddr === ""
    ? ConfigService.layerMemory({ filters })
    : ConfigService.layerWith({ filters }).pipe(Layer.provide(Nacos.layerConfig))

const dataId = `cipher-filters-${Date.now()}.properties`

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: running on the in-memory ConfigService (ConfigService.layerMemory({ filters }))"
      : `running on the Nacos server at ${serverAddr}`
  )
  const config = yield* ConfigService.ConfigService
  yield* config.publish({ dataId, content: "db.password=hunter2", type: "properties" })
  // the server's read-after-write lag (~100 ms): retry until the content shows
  const info = yield* config
    .getInfo({ dataId })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 }))
  yield* Effect.log(`get ${dataId} → ${JSON.stringify(info.content)} (data key ${info.encryptedDataKey?.length} chars)`)
  yield* config.remove({ dataId })
  yield* Effect.log("done")
})

program.pipe(Effect.provide(ConfigLive), Effect.runPromise).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
