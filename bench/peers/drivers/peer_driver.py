"""Peer driver for nacos-sdk-python (its asyncio v2 API) in `npm run bench:peers`.

    <venv>/bin/python bench/peers/drivers/peer_driver.py <serverAddr> <workDir>

It speaks the protocol of bench/peers/protocol.ts: JSON commands on stdin, one JSON line per reply or event on
fd 3. Gets in flight are coroutines on the one event loop, the way an asyncio application would issue them.
"""

import asyncio
import gc
import json
import os
import sys
import time

from v2.nacos import ClientConfigBuilder, ConfigParam, NacosConfigService

out = os.fdopen(3, "w", buffering=1, encoding="utf-8")


def write_line(line):
    out.write(json.dumps(line) + "\n")


def on_change_for(data_id):
    async def on_change(tenant, group, changed_data_id, content):
        write_line({"type": "event", "dataId": changed_data_id or data_id, "content": content})

    return on_change


async def get_batch(config, data_id, group, in_flight, requests):
    latencies = []
    errors = 0
    started = 0

    async def worker():
        nonlocal errors, started
        while started < requests:
            started += 1
            begin = time.perf_counter()
            try:
                content = await config.get_config(ConfigParam(data_id=data_id, group=group))
                if content:
                    latencies.append(round((time.perf_counter() - begin) * 1e6))
                else:
                    # nothing = not found: a benchmark of an existing config counts it as a failure
                    errors += 1
            except Exception:
                errors += 1

    begin = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(in_flight, requests))))
    return {"millis": (time.perf_counter() - begin) * 1000, "latenciesMicros": latencies, "errors": errors}


async def handle(config, command):
    op = command["op"]
    if op == "get":
        return await get_batch(config, command["dataId"], command["group"], command["inFlight"], command["requests"])
    if op == "publish":
        param = ConfigParam(data_id=command["dataId"], group=command["group"], content=command["content"])
        if not await config.publish_config(param):
            raise RuntimeError("publish_config answered False")
        return {}
    if op == "remove":
        await config.remove_config(ConfigParam(data_id=command["dataId"], group=command["group"]))
        return {}
    if op == "watch":
        await config.add_listener(command["dataId"], command["group"], on_change_for(command["dataId"]))
        return {}
    if op == "watchMany":
        begin = time.perf_counter()
        for i in range(command["count"]):
            data_id = f"{command['prefix']}{i}"
            await config.add_listener(data_id, command["group"], on_change_for(data_id))
        return {"millis": (time.perf_counter() - begin) * 1000}
    if op == "memory":
        gc.collect()
        # no heap figure comparable to V8's or the JVM's: the harness reports RSS
        return {"heapBytes": None}
    if op == "close":
        await config.shutdown()
        return {}
    raise ValueError(f"unknown op {op}")


async def main():
    server_addr, work_dir = sys.argv[1], sys.argv[2]
    client_config = (
        ClientConfigBuilder()
        .server_address(server_addr)
        .log_dir(os.path.join(work_dir, "logs"))
        .cache_dir(os.path.join(work_dir, "cache"))
        .build()
    )
    config = await NacosConfigService.create_config_service(client_config)
    for _ in range(300):
        if await config.server_health():
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError(f"no connection to {server_addr}")
    write_line({"type": "ready", "client": "python"})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        raw = await reader.readline()
        if not raw:
            break
        text = raw.decode("utf-8").strip()
        if not text:
            continue
        closing = False
        try:
            command = json.loads(text)
            closing = command.get("op") == "close"
            reply = {"type": "reply", "ok": True, **(await handle(config, command))}
        except Exception as error:  # every failure is reported to the harness, which decides
            reply = {"type": "reply", "ok": False, "error": repr(error)}
        write_line(reply)
        if closing:
            break
    out.close()


if __name__ == "__main__":
    asyncio.run(main())
