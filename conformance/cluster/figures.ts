/**
 * The cluster suite's measured figures (recovery times and what the raft re-election did), merged into
 * build/cluster-figures.json by key, one key per case, for the reliability note. Never asserted tightly.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"

/** The figures file (git-ignored build output). */
export const FIGURES_FILE = path.join(import.meta.dirname, "..", "..", "build", "cluster-figures.json")

/** Writes `figures` under `key`, keeping the other keys (a fresh run overwrites its own). */
export const writeFigures = (key: string, figures: Record<string, unknown>): void => {
  fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true })
  let all: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(FIGURES_FILE, "utf8"))
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) all = { ...parsed }
  } catch {
    // first case of the run, or an unreadable file: start again
  }
  all[key] = { ...figures, recordedAt: new Date().toISOString() }
  fs.writeFileSync(FIGURES_FILE, `${JSON.stringify(all, null, 2)}\n`)
}

/** {@link writeFigures} as an Effect, for the test bodies. */
export const recordFigures = (key: string, figures: Record<string, unknown>) =>
  Effect.sync(() => writeFigures(key, figures))
