/**
 * The @a2a-js/sdk pieces the A2A examples share: an echo agent (one Message back per message in), the card it is
 * served with, a user message, and the text of an answer.
 */
import { randomUUID } from "node:crypto"
import { type Message, Role, type SendMessageRequest, type SendMessageResult } from "@a2a-js/sdk"
import type { AgentExecutor } from "@a2a-js/sdk/server"
import type { A2AServer } from "@effect-nacos/ai/a2a"

const textPart = (value: string) => ({
  content: { $case: "text" as const, value },
  metadata: undefined,
  filename: "",
  mediaType: "text/plain"
})

const text = (message: Message) =>
  message.parts.map((part) => (part.content?.$case === "text" ? part.content.value : "")).join("")

/** The agent's logic: answers `echo: {text}`. */
export const echo: AgentExecutor = {
  execute: async (context, bus) => {
    bus.publish({
      kind: "message",
      data: {
        messageId: randomUUID(),
        contextId: context.contextId,
        taskId: "",
        role: Role.ROLE_AGENT,
        parts: [textPart(`echo: ${text(context.userMessage)}`)],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: []
      }
    })
    bus.finished()
  },
  cancelTask: async () => {}
}

/** The card the echo agent is served with (the SDK's card; A2AServer adds the interfaces). */
export const echoCard = (name: string): A2AServer.ServedCard => ({
  name,
  description: "says back what it is told",
  version: "1.0.0",
  provider: { organization: "effect-nacos examples", url: "https://github.com/effect-nacos/effect-nacos" },
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
      tags: ["example"],
      examples: ["hello"],
      inputModes: ["text"],
      outputModes: ["text"],
      securityRequirements: []
    }
  ],
  signatures: []
})

/** A user's text message, as `client.sendMessage` takes it. */
export const userMessage = (value: string): SendMessageRequest => ({
  tenant: "",
  message: {
    messageId: randomUUID(),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [textPart(value)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: []
  },
  configuration: undefined,
  metadata: undefined
})

/** An answer's text (the echo agent answers with a Message, not a task). */
export const answerText = (answer: SendMessageResult): string =>
  "messageId" in answer ? text(answer) : `a task (${answer.id})`
