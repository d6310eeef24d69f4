/**
 * The AI registry in memory, with the server's semantics (verified reference §2.6, protocol reference §2.1):
 * - MCP: the last version released is the latest (the 3.1.0 server ignores `versionDetail.is_latest` on
 *   release); an existing version is a conflict;
 * - agents: the first release is latest whatever `setAsLatest` says; later ones only with `setAsLatest: true`;
 *   the registration type is stored per agent (a query may ask for another);
 * - prompts and skills: a version wins over a label, a label over the latest; a prompt query with the current
 *   md5 answers "not modified".
 * Prompts and skills have no client-side publish API: tests put them through the {@link MemoryStore}.
 */
import { createHash } from "node:crypto"
import { ConflictError, NotFoundError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import {
  type AgentCardDetail,
  type AgentEndpoint,
  endpointUrl,
  type RegistrationType,
  type ReleasableAgentCard
} from "../AgentCardModels.ts"
import type { MemoryStore } from "../AiService.ts"
import type { McpServerDetail, ReleaseMcpServerParams } from "../McpModels.ts"
import type { Prompt } from "../PromptModels.ts"
import type { AiBackend, PromptAnswer } from "./backend.ts"

const md5Of = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex")

/** `yyyy-MM-dd'T'HH:mm:ss'Z'`, as the server writes `release_date`. */
const releaseDate = (millis: number) => `${new Date(millis).toISOString().slice(0, 19)}Z`

interface Versioned<A> {
  readonly versions: Map<string, A>
  latest: string
  readonly labels: Map<string, string>
}

interface McpEntry extends Versioned<{ readonly params: ReleaseMcpServerParams; readonly releasedAt: number }> {
  readonly id: string
}

interface AgentEntry extends Versioned<ReleasableAgentCard> {
  registrationType: RegistrationType
}

/** The registry behind each store handed out: the store's public face has only the test's operations. */
const states = new WeakMap<MemoryStore, State>()

/** The state of a store made by {@link makeStore}. */
const stateOf = (store: MemoryStore): State => {
  const state = states.get(store)
  if (state === undefined) throw new Error("AiService.layerMemory: the store was not made by AiService.makeMemoryStore")
  return state
}

/** A fresh, empty registry; pass it to `AiService.layerMemory({ store })` to change it from a test. */
export const makeStore = (): MemoryStore => {
  const state = newState()
  const put = <A>(
    map: Map<string, Versioned<A>>,
    name: string,
    version: string,
    value: A,
    labels: ReadonlyArray<string>,
    latest: boolean
  ) => {
    const entry = map.get(name) ?? {
      versions: new Map<string, A>(),
      latest: version,
      labels: new Map<string, string>()
    }
    entry.versions.set(version, value)
    if (latest) entry.latest = version
    for (const label of labels) entry.labels.set(label, version)
    map.set(name, entry)
  }
  const store: MemoryStore = {
    putPrompt: (prompt) =>
      Effect.sync(() =>
        put(
          state.prompts,
          prompt.key,
          prompt.version,
          {
            promptKey: prompt.key,
            version: prompt.version,
            template: prompt.template,
            md5: md5Of(`${prompt.version}\n${prompt.template}\n${JSON.stringify(prompt.variables ?? [])}`),
            ...(prompt.variables === undefined ? {} : { variables: prompt.variables })
          },
          prompt.labels ?? [],
          prompt.latest ?? true
        )
      ),
    removePrompt: (key) => Effect.sync(() => void state.prompts.delete(key)),
    putSkill: (skill) =>
      Effect.sync(() =>
        put(state.skills, skill.name, skill.version, skill.zip, skill.labels ?? [], skill.latest ?? true)
      ),
    removeSkill: (name) => Effect.sync(() => void state.skills.delete(name))
  }
  states.set(store, state)
  return store
}

interface McpAddress {
  readonly address: string
  readonly port: number
}

interface State {
  readonly mcp: Map<string, McpEntry>
  readonly agents: Map<string, AgentEntry>
  readonly prompts: Map<string, Versioned<Prompt>>
  readonly skills: Map<string, Versioned<Uint8Array>>
  /** `{name}::{version}` → the endpoints each client (backend) published for it. */
  readonly agentEndpoints: Map<string, Map<number, ReadonlyArray<AgentEndpoint>>>
  /** `{name}::{version}` of an MCP server → the addresses each client published. */
  readonly mcpEndpoints: Map<string, Map<number, ReadonlyArray<McpAddress>>>
  /** Told the key (`agent:{name}` / `mcp:{name}`) of every change: what the memory watches hear at once. */
  readonly listeners: Set<(key: string) => void>
  nextId: number
}

const newState = (): State => ({
  mcp: new Map(),
  agents: new Map(),
  prompts: new Map(),
  skills: new Map(),
  agentEndpoints: new Map(),
  mcpEndpoints: new Map(),
  listeners: new Set(),
  nextId: 1
})

const agentChange = (name: string) => `agent:${name}`
const mcpChange = (name: string) => `mcp:${name}`

const notify = (state: State, key: string) => {
  for (const listener of state.listeners) listener(key)
}

const publish = <A>(
  table: Map<string, Map<number, ReadonlyArray<A>>>,
  key: string,
  owner: number,
  items: ReadonlyArray<A>
) => {
  const owners = table.get(key) ?? new Map<number, ReadonlyArray<A>>()
  if (items.length === 0) owners.delete(owner)
  else owners.set(owner, items)
  if (owners.size === 0) table.delete(key)
  else table.set(key, owners)
}

/** The version a query selects: version > label > latest. */
const select = <A>(entry: Versioned<A> | undefined, version: string | undefined, label: string | undefined) => {
  if (entry === undefined) return undefined
  const chosen = version ?? (label === undefined ? entry.latest : entry.labels.get(label))
  return chosen === undefined ? undefined : entry.versions.get(chosen)
}

/** A memory client: its own endpoints (`release` drops them, as a closed connection does). */
export interface MemoryBackend extends AiBackend {
  readonly release: Effect.Effect<void>
  /** Every change of the agent's cards or endpoints, as it happens. */
  readonly onAgentChange: (name: string, onChange: () => void) => Effect.Effect<void, never, Scope.Scope>
  /** Every change of the MCP server's versions or endpoints, as it happens. */
  readonly onMcpChange: (name: string, onChange: () => void) => Effect.Effect<void, never, Scope.Scope>
}

export const make = (namespace: string, store: MemoryStore): MemoryBackend => {
  const state = stateOf(store)
  const owner = state.nextId++

  const queryMcpServer: AiBackend["queryMcpServer"] = (name, version) =>
    Effect.suspend(() => {
      const entry = state.mcp.get(name)
      const chosen = version ?? entry?.latest
      const found = chosen === undefined ? undefined : entry?.versions.get(chosen)
      if (entry === undefined || chosen === undefined || found === undefined) {
        return Effect.fail(
          new NotFoundError({
            resource: `mcp:${namespace}/${name}`,
            message:
              entry === undefined ? `MCP server ${name} not found` : `MCP server ${name} has no version ${version}`
          })
        )
      }
      const versionDetail = (v: string, releasedAt: number) => ({
        version: v,
        release_date: releaseDate(releasedAt),
        is_latest: v === entry.latest
      })
      // as the 3.1.0 server: the endpoints published for the version are its backend endpoints
      const endpoints = [...(state.mcpEndpoints.get(`${name}::${chosen}`)?.values() ?? [])].flat()
      const detail: McpServerDetail = {
        ...found.params.server,
        id: entry.id,
        namespaceId: namespace,
        versionDetail: versionDetail(chosen, found.releasedAt),
        version: chosen,
        backendEndpoints: endpoints.map(({ address, port }) => ({ address, port })),
        ...(found.params.tools === undefined ? {} : { toolSpec: found.params.tools }),
        allVersions: [...entry.versions].map(([v, release]) => versionDetail(v, release.releasedAt))
      }
      return Effect.succeed(detail)
    })

  const releaseMcpServer: AiBackend["releaseMcpServer"] = (params) =>
    Effect.suspend(() => {
      const { name } = params.server
      const version = params.server.versionDetail.version
      const entry = state.mcp.get(name)
      if (entry?.versions.has(version)) {
        return Effect.fail(
          new ConflictError({
            resource: `mcp:${namespace}/${name}`,
            message: `MCP server ${name} version ${version} already exists`
          })
        )
      }
      const released = { params, releasedAt: Date.now() }
      if (entry === undefined) {
        const id = `memory-mcp-${state.nextId++}`
        state.mcp.set(name, { id, versions: new Map([[version, released]]), latest: version, labels: new Map() })
        notify(state, mcpChange(name))
        return Effect.succeed(id)
      }
      entry.versions.set(version, released)
      entry.latest = version
      notify(state, mcpChange(name))
      return Effect.succeed(entry.id)
    })

  const queryAgentCard: AiBackend["queryAgentCard"] = (name, version, registrationType) =>
    Effect.suspend(() => {
      const entry = state.agents.get(name)
      const chosen = version ?? entry?.latest
      const card = chosen === undefined ? undefined : entry?.versions.get(chosen)
      if (entry === undefined || card === undefined) {
        return Effect.fail(
          new NotFoundError({
            resource: `agent:${namespace}/${name}`,
            message: entry === undefined ? `Agent not found: ${name}` : `agent ${name} has no version ${version}`
          })
        )
      }
      // as the 3.1.0 server: the stored type is answered (the asked one only changes how endpoints are filled in,
      // and memory has none), and `latestVersion` is there only when true
      // a SERVICE card with endpoints: its interfaces are the endpoints, its url one of the preferred transport
      const endpoints = [...(state.agentEndpoints.get(`${name}::${chosen}`)?.values() ?? [])].flat()
      const asked = registrationType ?? entry.registrationType
      const injected =
        asked === "SERVICE" && endpoints.length > 0
          ? (() => {
              const preferred =
                endpoints.find((endpoint) => (endpoint.transport ?? "JSONRPC") === card.preferredTransport) ??
                endpoints[0]!
              return {
                url: endpointUrl(preferred),
                preferredTransport: preferred.transport ?? "JSONRPC",
                additionalInterfaces: endpoints.map((endpoint) => ({
                  url: endpointUrl(endpoint),
                  transport: endpoint.transport ?? "JSONRPC"
                }))
              }
            })()
          : {}
      const detail: AgentCardDetail = {
        ...card,
        ...injected,
        registrationType: entry.registrationType,
        ...(chosen === entry.latest ? { latestVersion: true } : {})
      }
      return Effect.succeed(detail)
    })

  const releaseAgentCard: AiBackend["releaseAgentCard"] = (card, registrationType, setAsLatest) =>
    Effect.sync(() => {
      const entry = state.agents.get(card.name)
      if (entry === undefined) {
        state.agents.set(card.name, {
          versions: new Map([[card.version, card]]),
          latest: card.version,
          labels: new Map(),
          registrationType
        })
        notify(state, agentChange(card.name))
        return
      }
      // as the server: an existing version is left as it is
      if (entry.versions.has(card.version)) return
      entry.versions.set(card.version, card)
      entry.registrationType = registrationType
      if (setAsLatest) entry.latest = card.version
      notify(state, agentChange(card.name))
    })

  const queryPrompt: AiBackend["queryPrompt"] = (query) =>
    Effect.suspend(() => {
      const prompt = select(state.prompts.get(query.key), query.version, query.label)
      if (prompt === undefined) {
        return Effect.fail(
          new NotFoundError({ resource: `prompt:${namespace}/${query.key}`, message: `prompt ${query.key} not found` })
        )
      }
      return Effect.succeed<PromptAnswer>(
        query.md5 !== undefined && query.md5 === prompt.md5 ? { _tag: "NotModified" } : { _tag: "Found", prompt }
      )
    })

  const downloadSkillZip: AiBackend["downloadSkillZip"] = (query) =>
    Effect.suspend(() => {
      const zip = select(state.skills.get(query.name), query.version, query.label)
      return zip === undefined
        ? Effect.fail(
            new NotFoundError({
              resource: `skill:${namespace}/${query.name}`,
              message: `skill ${query.name} not found`
            })
          )
        : Effect.succeed(zip)
    })

  /** The `{name}::{version}` an MCP endpoint is published under (no version: the latest, as the server does). */
  const mcpEndpointKey = (name: string, version: string | undefined) => {
    const entry = state.mcp.get(name)
    const chosen = version ?? entry?.latest
    return entry === undefined || chosen === undefined || !entry.versions.has(chosen)
      ? Effect.fail(
          new NotFoundError({
            resource: `mcp:${namespace}/${name}`,
            message:
              entry === undefined ? `MCP server ${name} not found` : `MCP server ${name} has no version ${version}`
          })
        )
      : Effect.succeed(`${name}::${chosen}`)
  }

  const publishAgent = (name: string, version: string, endpoints: ReadonlyArray<AgentEndpoint>) =>
    Effect.sync(() => {
      publish(state.agentEndpoints, `${name}::${version}`, owner, endpoints)
      notify(state, agentChange(name))
    })

  const publishMcp = (name: string, version: string | undefined, endpoints: ReadonlyArray<McpAddress>) =>
    Effect.flatMap(mcpEndpointKey(name, version), (key) =>
      Effect.sync(() => {
        publish(state.mcpEndpoints, key, owner, endpoints)
        notify(state, mcpChange(name))
      })
    )

  // like a naming subscription, one signal as soon as it listens: what changed before that is read then
  const changesOf = (wanted: string, onChange: () => void): Effect.Effect<void, never, Scope.Scope> =>
    Effect.asVoid(
      Effect.acquireRelease(
        Effect.sync(() => {
          const listener = (key: string) => {
            if (key === wanted) onChange()
          }
          state.listeners.add(listener)
          onChange()
          return listener
        }),
        (listener) => Effect.sync(() => state.listeners.delete(listener))
      )
    )

  return {
    namespace,
    // as the 3.1.0 server: one endpoint per version and client (a second replaces the first); no card needed
    registerAgentEndpoint: (name, endpoint) => publishAgent(name, endpoint.version, [endpoint]),
    registerAgentEndpoints: (name, endpoints) => publishAgent(name, endpoints[0]?.version ?? "", endpoints),
    deregisterAgentEndpoint: (name, endpoint) => publishAgent(name, endpoint.version, []),
    registerMcpServerEndpoint: (params) =>
      publishMcp(params.name, params.version, [{ address: params.address, port: params.port }]),
    deregisterMcpServerEndpoint: (params) => publishMcp(params.name, params.version, []),
    release: Effect.sync(() => {
      for (const [table, changeOf] of [
        [state.agentEndpoints, agentChange],
        [state.mcpEndpoints, mcpChange]
      ] as const) {
        for (const [key, owners] of [...table]) {
          if (!owners.has(owner)) continue
          publish(table, key, owner, [])
          notify(state, changeOf(key.slice(0, key.lastIndexOf("::"))))
        }
      }
    }),
    onAgentChange: (name, onChange) => changesOf(agentChange(name), onChange),
    onMcpChange: (name, onChange) => changesOf(mcpChange(name), onChange),
    queryMcpServer,
    releaseMcpServer,
    queryAgentCard,
    releaseAgentCard,
    queryPrompt,
    downloadSkillZip
  }
}

export { md5Of }
