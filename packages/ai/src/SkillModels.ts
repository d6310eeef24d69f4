/**
 * Skills (Nacos 3.2+): a `SKILL.md` and its resources, served as a ZIP (`{skillName}/SKILL.md`,
 * `{skillName}/{type}/{resource}`).
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

/**
 * A skill name (3.2 rule): 1..64 lower-case letters, digits and single hyphens, starting and ending with a
 * letter or digit.
 *
 * @category schemas
 * @since 0.1.0
 */
export const SkillName = Schema.String.check(
  Schema.isMaxLength(64, { message: "must be at most 64 characters" }),
  Schema.isPattern(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: "may contain only lower-case letters, digits and hyphens, and must start and end with a letter or digit"
  }),
  Schema.makeFilter((name: string) => !name.includes("--") || "must not contain --")
)

const NonBlank = Schema.String.check(Schema.makeFilter((s: string) => s.trim() !== "" || "must not be blank"))

/**
 * `downloadSkillZip` / `watchSkill`: a version wins over a label, a label over the latest.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GetSkillParams = Schema.Struct({
  name: SkillName,
  version: Schema.optionalKey(NonBlank),
  label: Schema.optionalKey(NonBlank)
})
/**
 * @since 0.1.0
 */
export type GetSkillParams = typeof GetSkillParams.Type

/**
 * `downloadSkill`: the skill, extracted under `directory` (created if missing; files of the ZIP overwrite
 * files of the same name).
 *
 * @category schemas
 * @since 0.1.0
 */
export const DownloadSkillParams = Schema.Struct({
  name: SkillName,
  version: Schema.optionalKey(NonBlank),
  label: Schema.optionalKey(NonBlank),
  directory: NonBlank
})
/**
 * @since 0.1.0
 */
export type DownloadSkillParams = typeof DownloadSkillParams.Type

/**
 * A downloaded skill ZIP and the md5 of its bytes (what `watchSkill` compares).
 *
 * @category models
 * @since 0.1.0
 */
export interface SkillArchive {
  readonly name: string
  readonly zip: Uint8Array
  readonly md5: string
}

/**
 * What `watchSkill` emits: the archive (first, then whenever its bytes change), `Absent` (first only) or
 * `Deleted`.
 *
 * @category models
 * @since 0.1.0
 */
export type SkillEvent =
  | { readonly _tag: "Changed"; readonly skill: SkillArchive }
  | { readonly _tag: "Absent"; readonly name: string }
  | { readonly _tag: "Deleted"; readonly name: string }

/**
 * What `downloadSkill` wrote: the files, relative to the directory, in ZIP order.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExtractedSkill {
  readonly directory: string
  readonly files: ReadonlyArray<string>
}

/**
 * A skill version to put in the store: its ZIP as the server would serve it.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemorySkill {
  readonly name: string
  readonly version: string
  readonly zip: Uint8Array
  readonly labels?: ReadonlyArray<string> | undefined
  readonly latest?: boolean | undefined
}
