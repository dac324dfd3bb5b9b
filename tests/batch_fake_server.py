"""A small fake of the OpenAI files + batches wire format on 127.0.0.1, for batch_api tests.

The files/batches bookkeeping is fake; the answers need not be: with ``upstream`` (the base URL of a
real OpenAI-compatible server, e.g. the ``openai_server`` fixture) each request line is sent there
and its response stored, as OpenAI's batch runner does. Without it a line is answered
"echo: <prompt>". A line whose prompt contains "FAIL" gets a per-request error in the error file.
A batch is "in_progress" on its first poll.
"""

from __future__ import annotations

import json
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class FakeBatchServer:
    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self.files: dict[str, str] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.submissions = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, obj: Any, raw: str | None = None) -> None:
                body = (raw if raw is not None else json.dumps(obj)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.endswith("/files"):
                    head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                    msg = BytesParser(policy=policy.HTTP).parsebytes(head + data)
                    part = next(p for p in msg.iter_parts() if p.get_filename())
                    self._send(fake.add_file(part.get_payload(decode=True).decode()))
                elif self.path.endswith("/batches"):
                    self._send(fake.create(json.loads(data)))

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if parts[-1] == "content":
                    self._send(None, raw=fake.files[parts[-2]])
                else:
                    self._send(fake.poll(parts[-1]))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add_file(self, text: str) -> dict[str, Any]:
        fid = f"file-{len(self.files)}"
        self.files[fid] = text
        return {"id": fid, "object": "file", "bytes": len(text), "created_at": 0,
                "filename": "requests.jsonl", "purpose": "batch", "status": "processed"}  # fmt: skip

    def create(self, req: dict[str, Any]) -> dict[str, Any]:
        self.submissions += 1
        bid = f"batch-{len(self.batches)}"
        self.batches[bid] = {"id": bid, "object": "batch", "endpoint": req["endpoint"],
                             "input_file_id": req["input_file_id"], "completion_window": "24h",
                             "created_at": 0, "status": "in_progress"}  # fmt: skip
        self.polls[bid] = 0
        return self.batches[bid]

    def poll(self, bid: str) -> dict[str, Any]:
        batch = self.batches[bid]
        self.polls[bid] += 1
        if self.polls[bid] > 1 and batch["status"] == "in_progress":
            self._finish(batch)
        return batch

    def _finish(self, batch: dict[str, Any]) -> None:
        ok, bad = [], []
        for line in self.files[batch["input_file_id"]].splitlines():
            req = json.loads(line)
            text = req["body"].get("prompt") or req["body"]["messages"][-1]["content"]
            if "FAIL" in text:
                bad.append({"custom_id": req["custom_id"], "response": None,
                            "error": {"code": "invalid", "message": "refused"}})  # fmt: skip
                continue
            body = self._answer(req, text)
            ok.append(
                {"custom_id": req["custom_id"], "response": {"status_code": 200, "body": body}}
            )
        batch["output_file_id"] = self.add_file("\n".join(map(json.dumps, ok[::-1])))["id"]
        batch["error_file_id"] = (
            self.add_file("\n".join(map(json.dumps, bad)))["id"] if bad else None
        )
        batch["status"] = "completed"

    def _answer(self, req: dict[str, Any], text: str) -> dict[str, Any]:
        if self.upstream:
            root = self.upstream.removesuffix("/v1")
            reply = httpx.post(root + req["url"], json=req["body"], timeout=300)
            reply.raise_for_status()
            return dict(reply.json())
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": f"echo: {text}"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(text.split()), "completion_tokens": 2}}  # fmt: skip

    def close(self) -> None:
        self.httpd.shutdown()
