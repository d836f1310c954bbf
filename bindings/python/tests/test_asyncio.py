import asyncio

import kfk
import kfk.aio
from conftest import broker_env, host_port, unique


def test_asyncio_produce_and_fetch_concurrently():
    host, port = host_port(broker_env("KFK_TEST_BROKERS"))

    async def main():
        async with kfk.aio.connect(host, port) as conn:
            name = unique("pyaio")
            res = await conn.create_topics([{"name": name, "num_partitions": 1, "replication_factor": 1}], 10000)
            assert res["topics"][0]["error_code"] == 0
            for _ in range(200):  # until the new leader serves requests
                part = (await conn.fetch(name, 0, 0, max_wait_ms=0))["topics"][0]["partitions"][0]
                if part["error_code"] == 0:
                    break
                await asyncio.sleep(0.1)
            results = await asyncio.gather(*(conn.produce(name, 0, None, b"m%d" % i) for i in range(100)))
            assert all(r["topics"][0]["partitions"][0]["error_code"] == 0 for r in results)
            assert sorted(r["topics"][0]["partitions"][0]["base_offset"] for r in results) == list(range(100))
            # other coroutines keep running while a fetch waits on the broker
            ticks = 0

            async def ticker():
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            t = asyncio.ensure_future(ticker())
            fetched = await conn.fetch(name, 0, 0)
            t.cancel()
            assert len(fetched["topics"][0]["partitions"][0]["records"]) == 100
            assert ticks >= 1

    asyncio.run(main())


def test_async_for_messages():
    brokers = broker_env("KFK_TEST_BROKERS")
    topic = unique("pyaiter")

    async def main():
        client = kfk.Client(brokers=brokers)
        client.connect()
        client.produce_many([{"topic": topic, "partition": 0, "value": b"m%d" % i} for i in range(30)])
        client.flush()
        client.assign([{"topic": topic, "partition": 0, "offset": -2}])
        got = []
        async for m in kfk.aio.messages(client):
            got.append(m.value)
            if len(got) == 30:
                break
        client.close()
        return got

    got = asyncio.run(main())
    assert got == [b"m%d" % i for i in range(30)]
