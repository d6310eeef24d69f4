/**
 * The AI service's cadences, as named Schedules users can replace (through `AiService.layerWith`).
 *
 * @since 0.1.0
 * @module
 */
import * as Schedule from "effect/Schedule"

/**
 * How often `watchPrompt` asks whether a prompt changed (with the md5 it holds, so an unchanged prompt costs the
 * server an md5 comparison). Every official client polls every 10 s (`nacosAiPromptCacheUpdateInterval`).
 *
 * @category schedules
 * @since 0.1.0
 */
export const promptPoll: Schedule.Schedule<unknown> = Schedule.spaced("10 seconds")

/**
 * How often `watchSkill` downloads the skill again to compare its bytes (no client API tells a skill changed on
 * 3.2): every 10 s, as the other AI watches.
 *
 * @category schedules
 * @since 0.1.0
 */
export const skillPoll: Schedule.Schedule<unknown> = Schedule.spaced("10 seconds")

/**
 * How a background registration (an A2A agent, an MCP server) is tried again after a failure (Nacos down, a
 * refused release): exponential from 1 s, at most 30 s apart, jittered, 30 retries (about 13 minutes). It never
 * blocks the server it registers: the status shows `Failed { retrying: true }` meanwhile, `retrying: false` once
 * this is spent.
 *
 * @category schedules
 * @since 0.1.0
 */
export const registrationRetry: Schedule.Schedule<unknown> = Schedule.min([
  Schedule.exponential("1 second"),
  Schedule.spaced("30 seconds")
]).pipe(Schedule.jittered, Schedule.upTo({ times: 30 }))

/**
 * How long a prompt query keeps trying gRPC before going over HTTP (`GET /v3/client/ai/prompt`): consulted after
 * each gRPC attempt that failed in transport. Default: no further gRPC attempt — the next one is over HTTP. While
 * the connection knows gRPC is down, queries go straight to HTTP.
 *
 * @category schedules
 * @since 0.1.0
 */
export const promptHttpFallback: Schedule.Schedule<unknown> = Schedule.recurs(0)

/**
 * How a registered endpoint is published again after a reconnect when the first attempt fails: 5 more attempts,
 * 1 s apart (the Java client redoes every 3 s until it succeeds).
 *
 * @category schedules
 * @since 0.1.0
 */
export const endpointRedoRetry: Schedule.Schedule<unknown> = Schedule.spaced("1 second").pipe(
  Schedule.upTo({ times: 5 })
)

/**
 * How often `watchAgentCard` reads the card again to see a change of its content or endpoints: every 10 s, as
 * every official client (`nacosAiAgentCardCacheUpdateInterval`).
 *
 * @category schedules
 * @since 0.1.0
 */
export const agentCardPoll: Schedule.Schedule<unknown> = Schedule.spaced("10 seconds")

/**
 * How often `watchMcpServer` reads the server's detail again: every 10 s (`nacosAiMcpServerCacheUpdateInterval`).
 *
 * @category schedules
 * @since 0.1.0
 */
export const mcpServerPoll: Schedule.Schedule<unknown> = Schedule.spaced("10 seconds")
