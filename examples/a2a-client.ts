/**
 * Finding an A2A agent by name in Nacos and sending it a message, the plain-Promise way (no Effect in sight):
 * `AgentClients.open` gives a card resolver over Nacos (kept live by a watch) and SDK clients at one of the
 * agent's endpoints; `A2AServer.serveAgent` is the agent side as a Promise.
 *
 *   npm run example -- examples/a2a-client.ts                                    # in memory: starts an echo
 *                                                                                # agent itself, then finds it
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/a2a-client.ts   # the same on Nacos 3.1+
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/a2a-client.ts --agent effect-nacos-echo
 *                                          # only the client: finds the agent of examples/a2a-agent.ts --serve
 */
import { randomUUID } from "node:crypto"
import { type Message, Role } from "@a2a-js/sdk"
import type { AgentExecutor } from "@a2a-js/sdk/server"
import { AiService } from "@effect-nacos/ai"
import { A2AServer, AgentClients } from "@effect-nacos/ai/a2a"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const agentFlag = process.argv.indexOf("--agent")
const existingAgent = agentFlag === -1 ? undefined : process.argv[agentFlag + 1]

const text = (message: Message) =>
  message.parts.map((part) => (part.content?.$case === "text" ? part.content.value : "")).join("")
const textPart = (value: string) => ({
  content: { $case: "text" as const, value },
  metadata: undefined,
  filename: "",
  mediaType: "text/plain"
})

const echo: AgentExecutor = {
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

// in memory, the agent and the client share one registry (two AiService layers over one store stand for two
// processes); on a server, each has its own connection
const store = AiService.makeMemoryStore()
const where = serverAddr === "" ? { ai: AiService.layerMemory({ store }) } : { nacos: { serverAddr } }

const main = async () => {
  console.log(serverAddr === "" ? "no NACOS_SERVER_ADDR: the registry is in memory" : `Nacos at ${serverAddr}`)
  // the agent side (skipped with --agent NAME: that agent runs elsewhere)
  const agent =
    existingAgent === undefined
      ? await A2AServer.serveAgent({
          card: {
            name: `effect-nacos-echo-${process.pid}`,
            description: "says back what it is told",
            version: "1.0.0",
            provider: undefined,
            capabilities: { streaming: false, pushNotifications: false, extensions: [] },
            securitySchemes: {},
            securityRequirements: [],
            defaultInputModes: ["text"],
            defaultOutputModes: ["text"],
            skills: [],
            signatures: []
          },
          executor: echo,
          port: 0,
          ...where
        })
      : undefined
  const name = existingAgent ?? agent!.card.name
  if (agent !== undefined) {
    console.log(`agent ${name} serving at ${agent.url}`)
    console.log(`registration: ${(await agent.settled()).map((status) => status._tag).join(", ")}`)
  }

  // the client side: by name, through the registry
  const { resolver, clients, close } = await AgentClients.open(
    serverAddr === "" ? { ai: AiService.layerMemory({ store }) } : { nacos: { serverAddr } }
  )
  try {
    const card = await resolver.resolve(name)
    console.log(`resolved ${card.name} ${card.version}: ${card.supportedInterfaces.map((i) => i.url).join(", ")}`)
    const client = await clients.clientFor(name)
    const answer = await client.sendMessage({
      tenant: "",
      message: {
        messageId: randomUUID(),
        contextId: "",
        taskId: "",
        role: Role.ROLE_USER,
        parts: [textPart("hello, agent")],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: []
      },
      configuration: undefined,
      metadata: undefined
    })
    console.log(`answer: ${"messageId" in answer ? text(answer) : `a task (${answer.id})`}`)
  } finally {
    await close()
    // deregisters, then closes the agent's server
    await agent?.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
