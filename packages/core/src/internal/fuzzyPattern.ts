/**
 * The server's fuzzy-watch pattern language (`FuzzyGroupKeyPattern` in nacos-common 3.1.0): a pattern is
 * `namespace>>groupPattern>>namePattern`; the namespace is matched exactly, each other part is either a literal or
 * `*` alone, `x*` (prefix), `*x` (suffix) or `*x*` (contains). Anything else (`a*b`, `**`, `*a*b*`) the server
 * accepts but matches wrongly or never, so it is refused here before sending.
 */

export const SPLITTER = ">>"
const WILDCARD = "*"

/** Why a group or name pattern cannot be sent, or `undefined` when it is fine. */
export const wildcardProblem = (part: string): string | undefined => {
  if (part === "") return "must not be empty"
  if (part.includes(">")) return "must not contain '>' (the server splits patterns on '>>')"
  if (part === WILDCARD) return undefined
  const literal = part.slice(part.startsWith(WILDCARD) ? 1 : 0, part.endsWith(WILDCARD) ? -1 : undefined)
  if (literal === "") return "must be '*' alone or have text between its wildcards"
  if (literal.includes(WILDCARD)) {
    return "may have '*' only at its start and/or end ('*', 'x*', '*x', '*x*'): the server matches nothing else"
  }
  return undefined
}

/** Why a namespace cannot lead a pattern, or `undefined`: it is matched exactly, so no wildcard. */
export const namespaceProblem = (namespace: string): string | undefined => {
  if (namespace === "") return "must not be empty"
  if (namespace.includes(WILDCARD)) return "must not contain '*' (the server matches the namespace exactly)"
  if (namespace.includes(">")) return "must not contain '>' (the server splits patterns on '>>')"
  return undefined
}

/** The server's `itemMatched`, for the four shapes {@link wildcardProblem} lets through. */
export const partMatches = (pattern: string, value: string): boolean => {
  if (!pattern.includes(WILDCARD)) return pattern === value
  if (pattern === WILDCARD) return true
  const literal = pattern.replaceAll(WILDCARD, "")
  if (pattern.startsWith(WILDCARD) && pattern.endsWith(WILDCARD)) return value.includes(literal)
  if (pattern.startsWith(WILDCARD)) return value.endsWith(literal)
  return value.startsWith(literal)
}

export const join = (namespace: string, groupPattern: string, namePattern: string): string =>
  [namespace, groupPattern, namePattern].join(SPLITTER)

/** The parts of a pattern built by {@link join}; parts never contain '>', so the split is exact. */
export const split = (pattern: string) => {
  const [namespace = "", groupPattern = "", namePattern = ""] = pattern.split(SPLITTER)
  return { namespace, groupPattern, namePattern }
}
