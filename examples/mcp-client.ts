/**
 * Finding an MCP server in Nacos by name and calling its tools — the plain-Promise way, for code without Effect.
 * Two SDK servers register (as two processes would), the client lists the endpoints Nacos has, calls a tool on
 * one of them, and keeps working when that server goes: it moves to the other.
 *
 *   npm run example -- examples/mcp-client.ts                                # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/mcp-client.ts   # Nacos 3.1+
 */

import { AiService } from "@effect-nacos/ai"
import { connectMcpClient, serveMcpServer } from "@effect-nacos/ai/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const store = AiService.makeMemoryStore()
// where the registry is: the real server, or one in-memory registry shared by this demo's "processes"
const registry = () => (serverAddr === "" ? { layer: AiService.layerMemory({ store }) } : { nacos: { serverAddr } })

const name = `example-greeter-${Date.now()}`
const replica = (who: string) => () => {
  const server = new McpServer({ name: "greeter", version: "1.0.0" })
  server.registerTool("whoami", { description: "which replica answers" }, async () => ({
    content: [{ type: "text", text: who }]
  }))
  return server
}
const textOf = (answer: { readonly content: ReadonlyArray<{ readonly type: string }> }) =>
  answer.content
    .map((item) => ("text" in item && typeof item.text === "string" ? item.text : `[${item.type}]`))
    .join(" ")

console.log(serverAddr === "" ? "in memory (NACOS_SERVER_ADDR is not set)" : `on the Nacos server at ${serverAddr}`)
const first = await serveMcpServer({
  name,
  version: "1.0.0",
  createServer: replica("first"),
  host: "127.0.0.1",
  ...registry()
})
const second = await serveMcpServer({
  name,
  version: "1.0.0",
  createServer: replica("second"),
  host: "127.0.0.1",
  ...registry()
})
await Promise.all([first.registered(), second.registered()])
console.log(`two replicas registered: ${first.url}, ${second.url}`)

const client = await connectMcpClient({ name, ...registry() })
// Nacos may list the second endpoint a moment after the first (about 0.6 s on a real server)
for (let i = 0; i < 50 && client.endpoints().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100))
console.log(`Nacos lists ${client.endpoints().length} endpoints of ${name}`)
console.log(`tools: ${(await client.listTools()).map((tool) => tool.name).join(", ")}`)
const answer = await client.callTool("whoami")
console.log(`whoami: ${textOf(answer)}`)

// the replica that answered goes away: the next call moves to the other
await (textOf(answer) === "first" ? first : second).close()
console.log(`after one replica closed, whoami: ${textOf(await client.callTool("whoami"))}`)

// closing deregisters: the client sees Nacos list no endpoint any more (pushed, about a second on a real server)
await Promise.all([first.close(), second.close()])
for (let i = 0; i < 100 && client.endpoints().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
console.log(`both replicas closed: Nacos lists ${client.endpoints().length} endpoints of ${name}`)
await client.close()
