/**
 * CPU time and memory of another process, read from /proc the same way for every language's driver (all of a
 * process's threads: the JVM's compiler and GC threads count, as Node's do).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (100 on every Linux we know, asked anyway). */
const ticksPerSecond = (() => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
})()

/** User + system CPU time the process has used so far, in milliseconds. */
export const cpuMillis = (pid: number): number => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  // the command name (field 2) may contain spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1000) / ticksPerSecond
}

/** Resident set size now and at its peak, in bytes. */
export const memory = (pid: number): { readonly rssBytes: number; readonly peakRssBytes: number } => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN)
  return { rssBytes: kib("VmRSS") * 1024, peakRssBytes: kib("VmHWM") * 1024 }
}
