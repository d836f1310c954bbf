"""Consume inside asyncio: the queue's descriptor is watched by the event
loop, so the loop never blocks on Kafka.

    KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example python3 asyncio_consumer.py
"""
import asyncio
import os

import kfk
import kfk.aio

brokers = os.environ.get("KAFKA_BROKER", "127.0.0.1:9092")
topic = os.environ.get("KAFKA_TOPIC", "kfk-example")


async def main() -> None:
    with kfk.Client(brokers=brokers) as client:
        client.connect()
        client.produce_many([{"topic": topic, "value": b"tick %d" % i} for i in range(50)])
        client.flush()
        client.assign([{"topic": topic, "partition": 0, "offset": -2}])
        ticker = asyncio.create_task(asyncio.sleep(3600))  # other work keeps running
        count = 0
        async for msg in kfk.aio.messages(client):
            count += 1
            if count == 50:
                break
        ticker.cancel()
        print("consumed", count, "messages without blocking the loop")


asyncio.run(main())
