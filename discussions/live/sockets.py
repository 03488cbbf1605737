"""Writing frames to one socket without waiting on it.

The only module that reaches into daphne's protocol (autobahn) and its Twisted
transport, for two things ASGI does not offer: writing a frame without three
coroutine hops per socket, and reading how much a slow reader has left unread in
its buffer. Anything else (the test communicator) uses plain ASGI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Frames a reader may leave unread in its socket's send buffer before frames are
# dropped (the client notices the seq gap and catches up), and before it is closed.
DROP_BACKLOG_BYTES = 256 * 1024
CLOSE_BACKLOG_BYTES = 1024 * 1024


def find_protocol(send: Callable) -> Any:
    """daphne's protocol object behind an ASGI send, when there is one."""
    seen = 0
    while send is not None and seen < 5:
        seen += 1
        args = getattr(send, "args", None)
        if args and hasattr(args[0], "sendMessage") and hasattr(args[0], "transport"):
            return args[0]
        owner = getattr(send, "__self__", None)
        send = getattr(owner, "real_send", None) or getattr(owner, "send", None) if owner else None
    return None


@dataclass(eq=False)
class Reader:
    consumer: Any
    discussion_id: int
    user_id: int | None
    session_key: str | None
    audience: str
    user: Any = None  # as signed in on this socket; renders for its audience
    protocol: Any = None
    address: str | None = None  # a signed-out visitor's client address, for the per-address cap
    held: list[str] | None = field(default_factory=list)  # frames kept back until the hello is out
    closed: bool = False
    dropped: int = 0

    def backlog(self) -> int:
        transport = getattr(self.protocol, "transport", None)
        if transport is None:
            return 0
        try:
            return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        except AttributeError:
            return 0

    def write_now(self, text: str, framed: bytes | None = None) -> bool | None:
        """Send one frame without waiting; False when the reader is too far behind
        to keep, None when this socket needs the (awaited) ASGI path instead.

        On daphne this writes straight to the socket, so one slow reader never
        holds up the loop; its unread backlog is what is bounded. ``framed`` is
        the frame already encoded for the wire, shared by every reader of an event.
        """
        if self.closed:
            return True
        if self.held is not None:
            self.held.append(text)
            return True
        protocol = self.protocol
        if protocol is None:
            return None
        backlog = self.backlog()
        if backlog > CLOSE_BACKLOG_BYTES:
            return False
        if backlog > DROP_BACKLOG_BYTES:
            self.dropped += 1  # the client sees the seq gap and catches up
            return True
        if protocol.state != protocol.STATE_OPEN:
            return True
        if framed is not None and not protocol.websocket_extensions_in_use:
            write_through(protocol.transport, framed, backlog)
        else:
            protocol.sendMessage(text.encode(), False)
        return True

    async def push(self, text: str, framed: bytes | None = None) -> bool:
        sent = self.write_now(text, framed)
        if sent is None:
            await self.consumer.send(text_data=text)
            return True
        return sent


def write_through(transport: Any, data: bytes, backlog: int) -> None:
    """Write to a TCP socket at once when nothing is queued before it.

    Twisted's ``write`` always queues and registers the socket with the event
    loop, which costs two system calls per socket per frame; with an empty
    buffer a plain ``send`` does the same job with one. Anything not sent (or
    any other transport) goes through Twisted as usual, so order is kept.
    """
    sock = getattr(transport, "socket", None)
    if backlog == 0 and sock is not None and transport.connected and not transport._writeDisconnected:
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0  # Twisted notices the broken connection and closes it
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


def wire_frame(text: str) -> bytes:
    """An unmasked, unfragmented server-to-client text frame (RFC 6455, 5.2),
    built once per event and written to every plain socket as it is."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload
