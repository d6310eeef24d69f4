/**
 * Real `@modelcontextprotocol/sdk` servers for the MCP tests (unit and conformance): a factory that builds one
 * with the tools `echo` (its text back), `add` (a sum) and `whoami` (which replica answered).
 */
import { randomUUID } from "node:crypto"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import * as z from "zod"

/** A name the 3.1.0 server takes (letters, digits, `-`, `_`; at most 64). */
export const uniqueMcpName = (label: string) => `${label}-${randomUUID().slice(0, 8)}`

/** Builds SDK servers that answer `whoami` with `replica`. */
export const sdkServer = (replica: string) => () => {
  const server = new McpServer({ name: "effect-nacos-test", version: "1.0.0" })
  server.registerTool(
    "echo",
    { description: "answers the text it is given", inputSchema: { text: z.string().describe("what to echo") } },
    async ({ text }) => ({ content: [{ type: "text", text }] })
  )
  server.registerTool(
    "add",
    { description: "adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] })
  )
  server.registerTool("whoami", { description: "which replica answers" }, async () => ({
    content: [{ type: "text", text: replica }]
  }))
  return server
}

/** The text of a tool answer's first content item. */
export const textOf = (answer: unknown) => {
  const content =
    typeof answer === "object" && answer !== null && "content" in answer && Array.isArray(answer.content)
      ? answer.content
      : []
  const first: unknown = content[0]
  return typeof first === "object" && first !== null && "text" in first && typeof first.text === "string"
    ? first.text
    : undefined
}

export { eventually } from "../../support/behaviour.ts"
