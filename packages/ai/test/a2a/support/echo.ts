/**
 * An `@a2a-js/sdk` echo agent and a message to send it: what the A2A tests serve and call.
 */
import { randomUUID } from "node:crypto"
import { type Message, Role, type SendMessageRequest, type SendMessageResult } from "@a2a-js/sdk"
import type { AgentExecutor } from "@a2a-js/sdk/server"
import type { A2AServer } from "@effect-nacos/ai/a2a"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const textPart = (value: string) => ({
  content: { $case: "text" as const, value },
  metadata: undefined,
  filename: "",
  mediaType: "text/plain"
})

const textOf = (message: Message) =>
  message.parts.map((part) => (part.content?.$case === "text" ? part.content.value : "")).join("")

/** Answers every message with `{prefix}: {text}` (one Message, no task). */
export const echoExecutor = (prefix = "echo"): AgentExecutor => ({
  execute: async (context, bus) => {
    bus.publish({
      kind: "message",
      data: {
        messageId: randomUUID(),
        contextId: context.contextId,
        taskId: "",
        role: Role.ROLE_AGENT,
        parts: [textPart(`${prefix}: ${textOf(context.userMessage)}`)],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: []
      }
    })
    bus.finished()
  },
  cancelTask: async () => {}
})

export const echoCard = (name: string, version = "1.0.0"): A2AServer.ServedCard => ({
  name,
  description: "says it back",
  version,
  provider: { organization: "effect-nacos tests", url: "https://example.invalid" },
  capabilities: { streaming: false, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ["text"],
  defaultOutputModes: ["text"],
  skills: [
    {
      id: "echo",
      name: "echo",
      description: "repeats the message",
      tags: ["test"],
      examples: ["hello"],
      inputModes: ["text"],
      outputModes: ["text"],
      securityRequirements: []
    }
  ],
  signatures: []
})

export const userMessage = (text: string): SendMessageRequest => ({
  tenant: "",
  message: {
    messageId: randomUUID(),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: []
  },
  configuration: undefined,
  metadata: undefined
})

/** The text of an answer that is a Message (the echo agent answers with one). */
export const answerText = (answer: SendMessageResult): string | undefined =>
  "messageId" in answer ? textOf(answer) : undefined

/** What the tests read of a served card (the 0.3 shape an HTTP client without an A2A-Version header gets). */
const ServedCardFields = Schema.Struct({
  name: Schema.String,
  url: Schema.optional(Schema.String),
  preferredTransport: Schema.optional(Schema.String)
})

/** The agent's card from its own HTTP endpoint, decoded. */
export const fetchServedCard = (host: string, port: number) =>
  Effect.tryPromise(() => fetch(`http://${host}:${port}/.well-known/agent-card.json`).then((r) => r.json())).pipe(
    Effect.flatMap(Schema.decodeUnknownEffect(ServedCardFields))
  )
