/**
 * Removes secrets from text that is about to go into an error message or a log line (a server's answer, which may
 * echo what we sent or carry what it issued).
 *
 * Three kinds are removed: the values we know are secret (in every spelling a server might echo them back: raw,
 * form-encoded, URI-encoded, JSON-escaped), the value of any token-like field (`"accessToken": "…"`,
 * `password=…`, `Spas-Signature: …`), and anything shaped like a JWT (Nacos tokens are JWTs).
 */

const REDACTED = "<redacted>"

/** Field names whose values are secrets, however the answer spells them (camelCase, snake_case, kebab-case). */
const SECRET_FIELD = String.raw`[\w-]*(?:token|password|passwd|secret|signature|credential)[\w-]*|sk|ak`

/**
 * `"field": "value"`, `"field":value`, `field=value`, `field: value`: the field (optionally quoted) and the
 * separator stay, the value goes.
 */
const SECRET_FIELD_VALUE = new RegExp(
  String.raw`((["']?)\b(?:${SECRET_FIELD})\2\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&,;}\]"']+)`,
  "gi"
)

/** Three base64url segments, the first of which starts a JSON object (`{"` → `eyJ`). */
const JWT_LIKE = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g

const spellingsOf = (secret: string): ReadonlyArray<string> =>
  secret === ""
    ? []
    : [
        secret,
        new URLSearchParams([["", secret]]).toString().slice(1),
        encodeURIComponent(secret),
        JSON.stringify(secret).slice(1, -1)
      ]

/** `text` with every known secret, every token-like field's value and every JWT-like string replaced. */
export const scrubSecrets = (text: string, knownSecrets: ReadonlyArray<string> = []): string => {
  const withoutKnown = knownSecrets
    .flatMap(spellingsOf)
    // longest first, so a spelling that contains another is removed whole
    .sort((a, b) => b.length - a.length)
    .reduce((scrubbed, spelling) => scrubbed.split(spelling).join(REDACTED), text)
  return withoutKnown
    .replace(SECRET_FIELD_VALUE, (_match, fieldAndSeparator: string) => `${fieldAndSeparator}${REDACTED}`)
    .replace(JWT_LIKE, REDACTED)
}
