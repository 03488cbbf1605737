"""The floor: a bare ``websockets`` broadcast server.

Every connection is a reader; a text message "<number>" from any connection is
broadcast to all the others as a frame shaped like the real one.
Run as ``python -m bench.bare FD FRAME_BYTES`` with FD a listening socket it inherits.
"""

import asyncio
import json
import socket
import sys

from websockets.asyncio.server import broadcast, serve


async def main(fd: int, frame_bytes: int) -> None:
    readers: set = set()
    padding = "x" * frame_bytes

    async def handler(websocket) -> None:
        readers.add(websocket)
        await websocket.send('{"type": "hello"}')
        try:
            async for message in websocket:
                frame = json.dumps({"type": "reply.created", "number": int(message), "html": padding})
                broadcast(readers - {websocket}, frame)
        finally:
            readers.discard(websocket)

    sock = socket.socket(fileno=fd)
    async with serve(handler, sock=sock, max_queue=None, ping_interval=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
