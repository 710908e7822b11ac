"""A sign-in flood from many addresses: CONNECTIONS connections, each from
its own loopback address (127.1.x.y) and posting wrong passwords for names
of its own, as a botnet would: no per-person or per-address lockout stops
it before the password hash, so it is the hashing gate that bounds the
server's work and memory.

    python3 bench/flood.py BASE_URL CONNECTIONS SECONDS

Prints one line: answers per second by status, and the latency of the
checked ones (p50, p99).
"""

import asyncio
import sys
import time
import urllib.parse
from collections import Counter


async def connection(host, port, source, index, deadline, tally, latencies):
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    n = 0
    try:
        while time.monotonic() < deadline:
            body = urllib.parse.urlencode(
                {"username": f"flood{index}x{n}", "password": "wrong-password-1", "csrf": "flood"}
            ).encode()
            head = (
                f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Cookie: egov_form=flood\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.monotonic()
            writer.write(head + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                break
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            tally[status] += 1
            if status == 422:
                latencies.append(time.monotonic() - started)
            n += 1
    finally:
        writer.close()


async def main(base, connections, seconds):
    url = urllib.parse.urlparse(base)
    tally, latencies = Counter(), []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    tasks = [
        connection(url.hostname, url.port, f"127.1.{i // 250}.{i % 250 + 1}", i, deadline, tally, latencies)
        for i in range(connections)
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.monotonic() - started
    errors = sum(1 for r in results if isinstance(r, Exception))
    latencies.sort()

    def pct(p):
        return f"{latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000:.0f}ms" if latencies else "-"

    per = " ".join(f"s{k}={v / elapsed:.1f}" for k, v in sorted(tally.items()))
    print(f"flood connections={connections} seconds={elapsed:.1f} {per} checked_p50={pct(0.5)} "
          f"checked_p99={pct(0.99)} connection_errors={errors}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
