"""A Socket Mode server on loopback that a test drives: the fake Slack answers ``apps.connections.open``
with this server's ``ws://`` address, the bot connects, and the test pushes envelopes and reads the acks.

Just enough of RFC 6455 for slack_sdk's built-in client: the handshake, text frames both ways (client
frames masked), ping answered with pong, close.
"""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class SocketModeServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._client: socket.socket | None = None
        self._connected = threading.Event()
        self._condition = threading.Condition()
        self.received: list[dict[str, Any]] = []
        self.closed_by_client = threading.Event()
        self._send_lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    break
                request += chunk
            headers = dict(line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line)
            key = next(v for k, v in headers.items() if k.lower() == "sec-websocket-key")
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            client.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
            self._client = client
            self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                       "connection_info": {"app_id": "A0001"}})
            self._connected.set()
            threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def wait_connected(self, timeout: float = 30) -> None:
        assert self._connected.wait(timeout), "the bot never connected"

    def send(self, message: dict[str, Any]) -> None:
        self._frame(0x1, json.dumps(message).encode())

    def _frame(self, opcode: int, payload: bytes) -> None:
        assert self._client is not None
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([len(payload)])
        elif len(payload) < 65536:
            header += bytes([126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([127]) + struct.pack("!Q", len(payload))
        with self._send_lock:
            try:
                self._client.sendall(header + payload)
            except OSError:
                pass

    def _read(self, client: socket.socket) -> None:
        def exactly(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = client.recv(n - len(data))
                if not chunk:
                    raise ConnectionError
                data += chunk
            return data

        try:
            while True:
                first, second = exactly(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", exactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", exactly(8))[0]
                mask = exactly(4) if second & 0x80 else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(exactly(length)))
                if opcode == 0x8:
                    self.closed_by_client.set()
                    return
                if opcode == 0x9:
                    self._frame(0xA, payload)
                elif opcode == 0x1:
                    with self._condition:
                        self.received.append(json.loads(payload))
                        self._condition.notify_all()
        except (ConnectionError, OSError):
            self.closed_by_client.set()

    def wait_for_ack(self, envelope_id: str, timeout: float = 30) -> dict[str, Any]:
        with self._condition:
            found = self._condition.wait_for(
                lambda: [m for m in self.received if m.get("envelope_id") == envelope_id], timeout)
        assert found, f"no ack for {envelope_id}"
        return found[0]

    def close(self) -> None:
        self._listener.close()
        if self._client is not None:
            self._client.close()
