/**
 * The test kit for wire-level tests: a fake Nacos gRPC server to run a client against, with scripted answers and
 * pushes, empty pushes, disconnects and other faults. Import it from `@effect-nacos/core/testing`; the main entry
 * never loads it, so applications carry no server code.
 *
 * For tests that need no wire at all, every service offers `layerMemory()`.
 *
 * @module
 * @since 0.1.0
 */
export {
  type FakeConnection,
  type FakeNacosOptions,
  FakeNacosServer,
  type Received,
  type UnaryAnswer
} from "./testing/FakeNacosServer.ts"
export * as StreamProbe from "./testing/StreamProbe.ts"
