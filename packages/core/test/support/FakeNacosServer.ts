// Temporary: the naming tests being written still import the fake by this path; removed once they use the export.
export * from "../../src/testing/FakeNacosServer.ts"
