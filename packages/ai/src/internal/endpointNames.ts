/**
 * Where the server keeps AI endpoints as naming services (verified reference §7): an agent version's endpoints in
 * group `agent-endpoints`, service `{encodedName}::{version}`, the name encoded as 3.1.0's `AsciiAgentIdCodec`
 * does: a name of letters and `-` `.` `:` only stays as is; any other gets the prefix `____:` and every other
 * character becomes `_` and its code in 3 decimal digits (`feas agent 545` → `____:feas_032agent_032_053_052_053`).
 */

/** `Constants.A2A.AGENT_ENDPOINT_GROUP`. */
export const AGENT_ENDPOINT_GROUP = "agent-endpoints"

const ENCODE_PREFIX = "____:"
// agent names are visible ASCII (the name rule), so Java's Character.isLetter is A-Z a-z here
const kept = (char: string) => /^[A-Za-z.:-]$/.test(char)

export const encodeAgentName = (name: string): string => {
  if (name === "" || name.startsWith(ENCODE_PREFIX) || [...name].every(kept)) return name
  return (
    ENCODE_PREFIX +
    [...name].map((char) => (kept(char) ? char : `_${String(char.charCodeAt(0)).padStart(3, "0")}`)).join("")
  )
}

export const agentEndpointService = (name: string, version: string) => ({
  groupName: AGENT_ENDPOINT_GROUP,
  serviceName: `${encodeAgentName(name)}::${version}`
})
