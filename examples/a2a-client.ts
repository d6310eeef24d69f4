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
import { AiService } from "@effect-nacos/ai"
import { A2AServer, AgentClients } from "@effect-nacos/ai/a2a"
import { answerText, echo, echoCard, userMessage } from "./support/echoAgent.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const agentFlag = process.argv.indexOf("--agent")
const existingAgent = agentFlag === -1 ? undefined : process.argv[agentFlag + 1]

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
          card: echoCard(`effect-nacos-echo-${process.pid}`),
          executor: echo,
          // the demo's agent stays on loopback
          port: 0,
          listenHost: "127.0.0.1",
          advertisedHost: "127.0.0.1",
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
    const answer = await client.sendMessage(userMessage("hello, agent"))
    console.log(`answer: ${answerText(answer)}`)
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
