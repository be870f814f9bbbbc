#!/usr/bin/python3
"""TCP proxy that delays every chunk by a fixed time in each direction (user space, no root).

Used by bench/connection_setup.sh to count protocol round trips: with one-way delay D, a handshake
of k round trips takes about k*2*D more than without the proxy. The proxy accepts and connects
upstream at once, so the TCP three-way handshakes are not delayed: only application data is.
Usage: delay_proxy.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT DELAY_MS  (prints "ready PORT")
"""
import asyncio
import sys


async def pump(reader, writer, delay_s):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(1 << 16)
            await queue.put((loop.time() + delay_s, data if data else None))
            if not data:
                break
    except ConnectionError:
        await queue.put((0, None))
    await sender


async def main():
    listen_port, host, port, delay_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    delay_s = delay_ms / 1000

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, up_writer, delay_s),
                             pump(up_reader, client_writer, delay_s), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
