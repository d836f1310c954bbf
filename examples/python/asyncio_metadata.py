"""The event queue inside asyncio: many requests in flight, no blocking.

    KAFKA_BROKER=127.0.0.1:9092 python3 asyncio_metadata.py
"""
import asyncio
import os

import kfk.aio


async def main() -> None:
    host, port = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092").rsplit(":", 1)
    async with kfk.aio.connect(host, int(port)) as conn:
        results = await asyncio.gather(*(conn.metadata() for _ in range(50)))
        print(len(results), "metadata answers; brokers:", results[0]["brokers"])


asyncio.run(main())
