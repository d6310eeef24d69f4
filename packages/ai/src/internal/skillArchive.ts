/**
 * Skill ZIPs: reading them (fflate: small, dependency-free, in memory — the bytes are already in hand) and
 * extracting them through the `FileSystem` service. Every entry is checked before anything is written, as the
 * Java client's `SkillUtils.validatePathSafety` does and a little more: no `..`, no absolute path (`/`, `\`, a
 * drive letter), no NUL, and the resolved path must stay inside the target directory. A ZIP that breaks a rule is
 * refused whole: nothing of it is written.
 */
import { ServerError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import type * as PlatformError from "effect/PlatformError"
import { unzipSync } from "fflate"
import type { ExtractedSkill } from "../SkillModels.ts"

/** More than a skill needs (the server caps uploads at 10 MB): stops a ZIP bomb before it inflates. */
export const MAX_EXTRACTED_BYTES = 64 * 1024 * 1024

export interface ZipEntry {
  readonly name: string
  readonly isDirectory: boolean
  readonly data: Uint8Array
}

const refused = (skill: string, reason: string) =>
  new ServerError({ errorCode: -1, message: `skill ${skill}: refused the ZIP: ${reason}`, requestType: "skill ZIP" })

/** Why an entry name is unsafe, or undefined when it is fine. */
export const unsafeEntryReason = (name: string): string | undefined => {
  if (name.includes("..")) return `entry "${name}" contains ".."`
  if (name.startsWith("/") || name.startsWith("\\")) return `entry "${name}" is an absolute path`
  if (/^[A-Za-z]:/.test(name)) return `entry "${name}" names a drive`
  if (name.includes("\0")) return `entry "${name}" contains a NUL character`
  if (name === "") return "an entry has an empty name"
  return undefined
}

/** The entries of a ZIP in archive order, every name checked; fails on a damaged or unsafe archive. */
export const readEntries = (skill: string, zip: Uint8Array): Effect.Effect<ReadonlyArray<ZipEntry>, ServerError> =>
  Effect.suspend(() => {
    const names: Array<string> = []
    let declaredBytes = 0
    let problem: string | undefined
    let files: Readonly<Record<string, Uint8Array>>
    try {
      files = unzipSync(zip, {
        filter: (file) => {
          names.push(file.name)
          declaredBytes += file.originalSize
          problem ??= unsafeEntryReason(file.name)
          return problem === undefined && declaredBytes <= MAX_EXTRACTED_BYTES
        }
      })
    } catch (error) {
      return Effect.fail(
        refused(skill, `not a readable ZIP (${error instanceof Error ? error.message : String(error)})`)
      )
    }
    if (problem !== undefined) return Effect.fail(refused(skill, problem))
    if (declaredBytes > MAX_EXTRACTED_BYTES) {
      return Effect.fail(refused(skill, `it inflates to more than ${MAX_EXTRACTED_BYTES} bytes`))
    }
    return Effect.succeed(
      names.map((name) => ({
        name,
        isDirectory: name.endsWith("/"),
        data: Object.hasOwn(files, name) ? (files[name] ?? new Uint8Array()) : new Uint8Array()
      }))
    )
  })

/** Writes the entries under `directory`, after checking that every one resolves inside it. */
export const extract = (
  skill: string,
  entries: ReadonlyArray<ZipEntry>,
  directory: string
): Effect.Effect<ExtractedSkill, ServerError | PlatformError.PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const root = path.resolve(directory)
    const targets: Array<{ readonly entry: ZipEntry; readonly target: string }> = []
    for (const entry of entries) {
      const target = path.resolveWithin(root, entry.name)
      if (Option.isNone(target)) return yield* refused(skill, `entry "${entry.name}" resolves outside ${root}`)
      targets.push({ entry, target: target.value })
    }
    yield* fs.makeDirectory(root, { recursive: true })
    const files: Array<string> = []
    for (const { entry, target } of targets) {
      if (entry.isDirectory) {
        yield* fs.makeDirectory(target, { recursive: true })
        continue
      }
      yield* fs.makeDirectory(path.dirname(target), { recursive: true })
      yield* fs.writeFile(target, entry.data)
      files.push(entry.name)
    }
    return { directory: root, files }
  })
