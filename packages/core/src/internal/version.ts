/** Sent as `clientVersion` on ConnectionSetupRequest and as `Client-Version` / `User-Agent` over HTTP. */
export const CLIENT_VERSION = "Nacos-TS-Client:v0.1.0"
