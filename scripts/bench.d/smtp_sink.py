#!/usr/bin/env python3
"""A loopback SMTP sink for the queue benchmark: answers 250 to everything,
counts messages (DATA) and writes the count to COUNTFILE every 100 ms.
Usage: smtp_sink.py PORT COUNTFILE. Stops on SIGTERM."""
import asyncio
import signal
import sys

port, countfile = int(sys.argv[1]), sys.argv[2]
count = 0


async def session(reader, writer):
    global count
    writer.write(b"220 bench-sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-bench-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                while True:
                    l = await reader.readline()
                    if not l or l == b".\r\n":
                        break
                count += 1
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    last = -1
    while not stop.is_set():
        if count != last:
            with open(countfile + ".tmp", "w") as f:
                f.write(str(count))
            import os
            os.replace(countfile + ".tmp", countfile)
            last = count
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except asyncio.TimeoutError:
            pass
    server.close()
    with open(countfile, "w") as f:
        f.write(str(count))


asyncio.run(main())
