/** Skill ZIPs for the tests, built with fflate as a server would build them (`{name}/SKILL.md`, …). */
import { strToU8, zipSync } from "fflate"

/** A fixed entry time: the same files make the same bytes (fflate stamps entries with the current time). */
const options = { mtime: new Date("2026-01-01T00:00:00Z") }

export const skillZip = (name: string, skillMd: string, resources: Readonly<Record<string, string>> = {}) =>
  zipSync(
    {
      [`${name}/SKILL.md`]: strToU8(skillMd),
      ...Object.fromEntries(Object.entries(resources).map(([entry, content]) => [`${name}/${entry}`, strToU8(content)]))
    },
    options
  )

/** A ZIP whose entries try to leave the target directory. */
export const maliciousZip = (entry: string) =>
  zipSync({ "evil/SKILL.md": strToU8("---\nname: evil\n---\n"), [entry]: strToU8("pwned") }, options)
