/**
 * Between the two shapes of an A2A agent card: Nacos 3.1 stores the A2A 0.3 card (`url`, `preferredTransport`,
 * `additionalInterfaces`, card-level `protocolVersion`); `@a2a-js/sdk` 1.x works with the 1.0 card (one
 * `supportedInterfaces` list, a protocol version per interface). The 0.3 → 1.0 direction is the SDK's own
 * `parseLegacyAgentCard` (interfaces stamped with the card's protocol version, so a client factory with
 * `legacyCompat` speaks 0.3 to them); the 1.0 → 0.3 direction is here, as the SDK keeps its translator private.
 *
 * Security schemes and requirements are not carried to Nacos (their two shapes differ in more than names, and
 * the card a client finally uses is the one the agent serves itself).
 *
 * @since 0.1.0
 * @module
 */
import type { AgentInterface, AgentCard as SdkAgentCard } from "@a2a-js/sdk"
import { parseLegacyAgentCard } from "@a2a-js/sdk/compat/v0_3/client"
import * as Effect from "effect/Effect"
import type { AgentCard, AgentCardDetail } from "../AgentCardModels.ts"
import { AgentCardConversionError } from "./A2AModels.ts"

/**
 * The protocol version of the 0.3 cards this module writes.
 *
 * @category constants
 * @since 0.1.0
 */
export const LEGACY_PROTOCOL_VERSION = "0.3.0"

const distinctInterfaces = (interfaces: ReadonlyArray<AgentInterface>): Array<AgentInterface> => {
  const seen = new Set<string>()
  return interfaces.filter((item) => {
    const key = `${item.protocolBinding.toUpperCase()} ${item.url}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The SDK's 1.0 card as the 0.3 card Nacos stores: the first interface is `url` / `preferredTransport`, the
 * others (distinct by transport and URL) `additionalInterfaces`.
 *
 * @category conversions
 * @since 0.1.0
 */
export const toNacosCard = (card: SdkAgentCard): AgentCard => {
  const [primary, ...others] = distinctInterfaces(card.supportedInterfaces)
  const capabilities = card.capabilities
  return {
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    name: card.name,
    description: card.description,
    version: card.version,
    ...(card.iconUrl === undefined ? {} : { iconUrl: card.iconUrl }),
    ...(card.documentationUrl === undefined ? {} : { documentationUrl: card.documentationUrl }),
    ...(primary === undefined ? {} : { url: primary.url, preferredTransport: primary.protocolBinding }),
    ...(others.length === 0
      ? {}
      : { additionalInterfaces: others.map((item) => ({ url: item.url, transport: item.protocolBinding })) }),
    ...(card.provider === undefined
      ? {}
      : { provider: { organization: card.provider.organization, url: card.provider.url } }),
    capabilities: {
      streaming: capabilities?.streaming ?? false,
      pushNotifications: capabilities?.pushNotifications ?? false,
      extensions: (capabilities?.extensions ?? []).map((extension) => ({
        uri: extension.uri,
        description: extension.description,
        required: extension.required,
        ...(extension.params === undefined ? {} : { params: extension.params })
      }))
    },
    supportsAuthenticatedExtendedCard: capabilities?.extendedAgentCard ?? false,
    skills: card.skills.map((skill) => ({
      id: skill.id,
      name: skill.name,
      description: skill.description,
      tags: skill.tags,
      examples: skill.examples,
      inputModes: skill.inputModes,
      outputModes: skill.outputModes
    })),
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes
  }
}

/** The JSON value without its `null` members (Nacos writes absent fields as null; the SDK expects them left out). */
const withoutNulls = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.filter((item) => item !== null).map(withoutNulls)
    : typeof value === "object" && value !== null
      ? membersWithoutNulls(Object.entries(value))
      : value

const membersWithoutNulls = (members: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> =>
  Object.fromEntries(
    members.filter(([, member]) => member !== null).map(([key, member]) => [key, withoutNulls(member)])
  )

const hasEndpoints = (card: AgentCard | AgentCardDetail) => (card.additionalInterfaces ?? []).length > 0

/**
 * A card read from Nacos as the SDK's 1.0 card. The fields the SDK demands and Nacos may leave out get their
 * empty values (description, capabilities, input and output modes, skills); interfaces are distinct by transport and
 * URL.
 *
 * A `SERVICE` card without registered endpoints (no `additionalInterfaces`) gets **no** interfaces: the server then
 * answers the `url` stored at the version's first release, which is where the instance that released it listened
 * — for a version re-registered by later instances, an address that may be long gone (seen on 3.1.0).
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromNacosCard = (
  card: AgentCard | AgentCardDetail
): Effect.Effect<SdkAgentCard, AgentCardConversionError> =>
  Effect.try({
    try: () => {
      // the Nacos-only fields are no part of an A2A card
      const plain = membersWithoutNulls(
        Object.entries(card).filter(([key]) => key !== "registrationType" && key !== "latestVersion")
      )
      const parsed = parseLegacyAgentCard({
        description: "",
        capabilities: {},
        defaultInputModes: [],
        defaultOutputModes: [],
        skills: [],
        protocolVersion: LEGACY_PROTOCOL_VERSION,
        ...plain
      })
      const live = !("registrationType" in card) || card.registrationType !== "SERVICE" || hasEndpoints(card)
      return { ...parsed, supportedInterfaces: live ? distinctInterfaces(parsed.supportedInterfaces) : [] }
    },
    catch: (cause) =>
      new AgentCardConversionError({
        agent: card.name,
        message: `agent ${card.name} ${card.version}: the card Nacos holds is no A2A 0.3 card the SDK reads (${
          cause instanceof Error ? cause.message : String(cause)
        })`
      })
  })
