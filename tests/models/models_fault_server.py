"""A small HTTP server on 127.0.0.1 that speaks enough of the OpenAI wire format to inject faults.

Each request consumes the next behaviour of ``script`` (then ``"ok"``): ``("status", code, headers)``,
``("slow", seconds)``, ``"malformed"`` (200 with a broken JSON body), ``"truncated"`` (the connection
closes mid-body), ``"echo_auth"`` (401 quoting the Authorization header back: a worst-case server).
``reject`` lists request fields the server refuses with a 400 (e.g. ``"json_schema"``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FaultServer:
    def __init__(self) -> None:
        self.script: deque[Any] = deque()
        self.reject: set[str] = set()
        self.chat_logprobs: list[dict[str, float]] | None = None
        self.completion_logprobs: dict[str, float] | None = None
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def next_behaviour(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
        with self._lock:
            self.received.append((path, headers, body))
            return self.script.popleft() if self.script else "ok"

    @property
    def count(self) -> int:
        return len(self.received)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def ok_body(server: FaultServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
    if path.endswith("/embeddings"):
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [b / 255 for b in hashlib.sha256(t.encode()).digest()[:8]],
            }
            for i, t in enumerate(inputs)
        ]
        return {"object": "list", "data": data, "model": body["model"], "usage": usage}
    if path.endswith("/completions") and "chat" not in path:
        logprobs = None
        if body.get("logprobs") and server.completion_logprobs is not None:
            top = server.completion_logprobs
            logprobs = {
                "tokens": [next(iter(top))],
                "token_logprobs": [0.0],
                "top_logprobs": [top],
                "text_offset": [0],
            }
        choice = {
            "index": 0,
            "text": f"echo: {body['prompt'][-20:]}",
            "logprobs": logprobs,
            "finish_reason": "stop",
        }
        return {
            "id": "c1",
            "object": "text_completion",
            "created": 0,
            "model": body["model"],
            "choices": [choice],
            "usage": usage,
        }
    last = body["messages"][-1]["content"]
    content = (
        json.dumps({"value": "Honesty"})
        if body.get("response_format") or "JSON" in last
        else f"echo: {last[-40:]}"
    )
    logprobs = None
    if body.get("logprobs"):
        entries = [
            {"token": t, "logprob": lp, "bytes": None, "top_logprobs": []}
            for t, lp in (server.chat_logprobs[0].items() if server.chat_logprobs else [])
        ]
        first = {"token": "x", "logprob": 0.0, "bytes": None, "top_logprobs": entries}
        logprobs = {"content": [first] if server.chat_logprobs else [], "refusal": None}
    message = {"role": "assistant", "content": content}
    choice = {"index": 0, "message": message, "logprobs": logprobs, "finish_reason": "stop"}
    return {
        "id": "x1",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [choice],
        "usage": usage,
    }


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, code: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw or b"{}")
            behaviour = server.next_behaviour(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            kind = behaviour[0] if isinstance(behaviour, tuple) else behaviour
            fmt = (body.get("response_format") or {}).get("type")
            if fmt in server.reject:
                self._send(
                    400,
                    json.dumps(
                        {"error": {"message": f"response_format {fmt} unsupported"}}
                    ).encode(),
                )
            elif kind == "status":
                _, code, headers = behaviour
                self._send(
                    code, json.dumps({"error": {"message": f"injected {code}"}}).encode(), headers
                )
            elif kind == "echo_auth":
                msg = f"bad key {self.headers.get('Authorization')}"
                self._send(401, json.dumps({"error": {"message": msg}}).encode())
            elif kind == "malformed":
                self._send(200, b'{"id": "x1", "choices": [')
            elif kind == "truncated":
                payload = json.dumps(ok_body(server, self.path, body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 3])
                self.wfile.flush()
                self.close_connection = True
            else:
                if kind == "slow":
                    time.sleep(behaviour[1])
                self._send(200, json.dumps(ok_body(server, self.path, body)).encode())

    return Handler
