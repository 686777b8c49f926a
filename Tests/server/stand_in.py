#!/usr/bin/env python3
"""A local stand-in for the AI/ML API chat-completions service, faults included.

Listens on 127.0.0.1 only, on a free port that it prints as the first line of stdout ("PORT 12345"),
and exits by itself after --lifetime seconds (or when stdin closes, if --stdin-watch).

A test picks a behaviour through the base URL it gives the client:

    http://127.0.0.1:PORT/s/<scenario>/<uid>/v1        ->  POST .../chat/completions

<uid> groups the requests of one test: attempts are counted per uid (for "fail N times, then
succeed") and every request is recorded, readable as JSON from GET /_requests/<uid>.
<scenario> is a list of steps separated by "," (attempt 1 uses the first step, and so on; the last
step repeats). A step is a name and its arguments separated by ":", e.g.

    ok                       (a stream, as sse, when the request asks for one, else) a chat.completion
                             echoing the last user text, then for each image or
                             video: "[image_url image/png 1234 <crc32 hex>]" (data: URIs decoded);
                             with per-token logprobs when the request has "logprobs": true
    ok:text=T                the same with T as the reply's text (percent-escaped in the URL)
    status:429:ra=1          HTTP 429 with Retry-After: 1 (ra_ms= for retry-after-ms)
    status:503               HTTP 503 in OpenAI's error shape
    flat:400                 the vendor's flat error shape, message as a list, statusCode a string
    html:502                 an HTML page from a "proxy"
    notjson                  200 with a body that is not JSON
    noshape                  200 with JSON that is not a chat.completion
    error200                 200 carrying an error object
    tools                    a tool-call reply (content null, finish_reason tool_calls)
    drop                     close the connection without replying
    cut                      promise 1000 bytes, send 20, close
    hang:SECS                read the request, say nothing for SECS seconds
    stall:SECS               send headers and part of the body, then nothing for SECS seconds
    big:BYTES                a valid reply whose content is BYTES long
    gzip                     the echo reply, gzip-encoded (only if the client accepts gzip)
    redirect:HOST            307 to the same path on HOST (e.g. localhost:PORT)
    reset | resetmid         a TCP reset before any reply / after the headers and part of the body
    shortlength              a Content-Length shorter than the body that follows it
    badchunked               broken chunked encoding
    http10                   an HTTP/1.0 reply delimited by closing the connection
    echoauth                 401 whose message repeats the Authorization header (a careless server)
    slow:MS                  wait MS milliseconds, then the echo reply
    sse[:FLAG...]            a chat.completion.chunk stream of the echo (chunked encoding, written in
                             random small pieces that split lines and UTF-8 sequences). Flags:
                             crlf | cr             line ends other than LF
                             comments              ": keep-alive" comment lines between events
                             multiline             each event's JSON spread over several data: lines
                             nospace               "data:{...}" without the space
                             nodone                no [DONE] (finish_reason, then a clean end)
                             nofinalblank          no [DONE], and no blank line after the last event
                             nofinish              neither finish_reason nor [DONE], clean end
                             cut                   connection cut mid-line, before the finish
                             errorevent            "event: error" after two deltas
                             errorobj              a data: {"error": ...} object after two deltas
                             tools                 tool-call fragments instead of text
                             bigline               one data line of 2 MB
                             stall=SECS            after two deltas, silence for SECS
                             delay=MS              MS between events
                             pieces=N              write at most N bytes at a time (default 7)
                             text=T                stream T instead of the echo
                             donespace             "data: [DONE] " (a trailing space) as the end
                             repeat=N              the text N times over (one event per character)
                             (a last chunk with usage and no choices when the request's
                             stream_options.include_usage is true, as OpenAI's service sends it)
    json-for-stream          a plain chat.completion even when the request asked for a stream
    sseerror:CODE            HTTP CODE whose body is an SSE "event: error" frame
    bareerror                200 text/event-stream whose body is a bare JSON error object, no SSE framing
    dashscope:CODE           HTTP CODE in DashScope's native error shape (code, message, request_id)
    bigheader:BYTES          the echo reply with one response header BYTES long
    slowread:BPS             read the request body at BPS bytes a second (small receive buffer), answer "read"
    resetupload:BYTES        read BYTES of the request body, then a TCP reset while the client is still sending
    idlereset:MS             the echo reply on a connection kept alive, then a TCP reset MS milliseconds later
    grounding                a Qwen3-VL grounding answer: a ```json fence with a bbox_2d and a point_2d
    busy:N:MS[:ra_ms=R]      the echo reply after MS ms to at most N requests of the uid at once; one
                             arriving while N are being answered gets 429 at once (retry-after-ms R,
                             default 20), as a server with a concurrency quota does
"""
import argparse
import base64
import gzip
import json
import os
import random
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

RECORDS = {}          # uid -> list of request records
ATTEMPTS = {}         # uid -> attempts so far
BUSY = {}             # uid -> requests being answered now (the busy scenario)
LOCK = threading.Lock()


def last_user_text(req):
    for m in reversed(req.get("messages", []) if isinstance(req, dict) else []):
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return " ".join(p.get("text", "") for p in c if isinstance(p, dict) and p.get("type") == "text")
    return ""


def describe_url(kind, url):
    """What a media URL holds: for data: URIs the decoded type, size and CRC-32, so that tests can
    check the bytes arrived exactly."""
    if not url.startswith("data:"):
        return "[%s %s]" % (kind, url)
    head, _, payload = url.partition(",")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        return "[%s undecodable]" % kind
    return "[%s %s %d %08x]" % (kind, head[5:].split(";")[0], len(data), zlib.crc32(data))


def media_summary(req):
    out = []
    for m in req.get("messages", []) if isinstance(req, dict) else []:
        c = m.get("content") if isinstance(m, dict) else None
        for p in c if isinstance(c, list) else []:
            if not isinstance(p, dict):
                continue
            t = p.get("type")
            if t in ("image_url", "video_url") and isinstance(p.get(t), dict):
                out.append(describe_url(t, p[t].get("url", "")))
            elif t == "video" and isinstance(p.get("video"), list):
                out.extend(describe_url("frame", f) for f in p["video"] if isinstance(f, str))
    return "".join(" " + x for x in out)


def completion(req, content=None, finish="stop", message_extra=None):
    text = content if content is not None else "echo: " + last_user_text(req) + media_summary(req)
    msg = {"role": "assistant", "content": text}
    if message_extra:
        msg.update(message_extra)
    prompt = 11
    done = max(1, len(text) // 4) if text else 1
    return {
        "id": "chatcmpl-standin-%d" % int(time.time() * 1000),
        "object": "chat.completion",
        "created": int(time.time()),
        # The service answers with the model name without its vendor prefix.
        "model": "qwen3-vl-32b-instruct",
        "choices": [{"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done},
        "meta": {"usage": {"credits_used": 42, "usd_spent": 0.000021}},
        "system_fingerprint": None,
    }


def logprobs(text, top):
    """Made-up log probabilities for each word of text (a token each), in OpenAI's shape."""
    tokens = [w + " " for w in text.split(" ")]
    tokens[-1] = tokens[-1][:-1]
    content = []
    for i, t in enumerate(tokens):
        lp = -0.25 * (i + 1)
        alts = [{"token": t, "logprob": lp, "bytes": list(t.encode())},
                {"token": "?", "logprob": lp - 3, "bytes": [63]}]
        content.append({"token": t, "logprob": lp, "bytes": list(t.encode()), "top_logprobs": alts[:top]})
    return {"content": content, "refusal": None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "stand-in/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def send_json(self, code, obj, headers=None):
        self.send_bytes(code, json.dumps(obj).encode(), "application/json", headers)

    def send_bytes(self, code, body, ctype, headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        if self.path.startswith("/_requests/"):
            uid = unquote(self.path[len("/_requests/"):])
            with LOCK:
                recs = list(RECORDS.get(uid, []))
            self.send_json(200, recs)
        elif self.path == "/_health":
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": {"message": "no such page", "type": "not_found"}})

    def do_POST(self):
        if self.path.startswith("http://"):  # asked as a proxy: serve it ourselves
            self.path = "/" + self.path.split("/", 3)[3]
        length = int(self.headers.get("Content-Length", "0") or 0)
        route = self.path.split("?", 1)[0]  # a query (per-call option) does not change the scenario
        parts = route.split("/")
        if len(parts) >= 4 and parts[1] == "s" and parts[2].startswith("slowread:"):
            raw = self.read_slowly(length, int(parts[2].split(":")[1].split(",")[0]))
        elif len(parts) >= 4 and parts[1] == "s" and parts[2].startswith("resetupload:"):
            self.rfile.read(min(length, int(parts[2].split(":")[1])))
            self.reset()
            return
        else:
            raw = self.rfile.read(length) if length > 0 else b""
        # /s/<scenario>/<uid>/v1/chat/completions
        if len(parts) >= 4 and parts[1] == "s":
            # Split before unquoting, so that an argument may carry an escaped "," or ":".
            scenario, uid = parts[2], unquote(parts[3])
        else:
            scenario, uid = "ok", "default"
        if not route.endswith("/chat/completions"):
            self.send_json(404, {"message": "Cannot POST " + self.path, "statusCode": 404})
            return
        with LOCK:
            n = ATTEMPTS.get(uid, 0)
            ATTEMPTS[uid] = n + 1
            RECORDS.setdefault(uid, []).append({
                "attempt": n + 1,
                "path": self.path,
                "client_port": self.client_address[1],
                # A header sent twice is recorded as HTTP folds it, "a, b": tests can see doubles.
                "headers": {k.lower(): ", ".join(self.headers.get_all(k)) for k in self.headers.keys()},
                "body": raw.decode("utf-8", "replace"),
                "time": time.time(),
            })
        steps = scenario.split(",")
        step = [unquote(x) for x in steps[min(n, len(steps) - 1)].split(":")]
        try:
            req = json.loads(raw) if raw else {}
        except ValueError:
            self.send_json(400, {"error": {"message": "We could not parse the JSON body of your request.",
                                           "type": "invalid_request_error"}})
            return
        self.uid = uid
        self.act(step[0], step[1:], req)

    # -- behaviours -------------------------------------------------------------------------------
    def act(self, name, args, req):
        ids = {"x-inference-id": "inf-%s" % os.urandom(4).hex(), "x-aimlapi-credits-used": "42"}
        opts = dict(a.split("=", 1) for a in args if "=" in a)
        pos = [a for a in args if "=" not in a]
        if name == "ok" and isinstance(req, dict) and req.get("stream") is True:
            self.sse(req, ["pieces=4096"], dict(opts, pieces="4096"))  # a real server streams when asked
        elif name == "ok":
            reply = completion(req, content=opts.get("text"))
            if isinstance(req, dict) and req.get("logprobs") is True:
                reply["choices"][0]["logprobs"] = logprobs(reply["choices"][0]["message"]["content"],
                                                           req.get("top_logprobs") or 0)
            self.send_json(200, reply, ids)
        elif name == "slow":
            time.sleep(int(pos[0]) / 1000.0)
            self.send_json(200, completion(req), ids)
        elif name == "idlereset":
            self.send_json(200, completion(req), ids)
            time.sleep(int(pos[0]) / 1000.0)
            self.reset()
        elif name == "status":
            code = int(pos[0])
            h = {}
            if "ra" in opts:
                h["Retry-After"] = opts["ra"]
            if "ra_ms" in opts:
                h["retry-after-ms"] = opts["ra_ms"]
            kinds = {401: "invalid_api_key", 403: "permission_denied", 429: "rate_limit_exceeded"}
            self.send_json(code, {"error": {"message": "stand-in says %d" % code,
                                            "type": kinds.get(code, "server_error" if code >= 500 else "invalid_request_error"),
                                            "code": kinds.get(code)}}, h)
        elif name == "flat":
            code = int(pos[0])
            self.send_json(code, {"message": ["messages must be an array", "model is unknown"],
                                  "path": "/v1/chat/completions", "requestId": "vendor-req-123",
                                  "statusCode": str(code), "timestamp": "2026-11-25T00:00:00.000Z"})
        elif name == "html":
            code = int(pos[0])
            body = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
            self.send_bytes(code, body, "text/html")
        elif name == "notjson":
            self.send_bytes(200, b"Service temporarily in maintenance mode", "text/plain")
        elif name == "noshape":
            self.send_json(200, {"object": "chat.completion", "id": "x", "result": "where are my choices"})
        elif name == "error200":
            self.send_json(200, {"error": {"message": "upstream model failed", "type": "server_error"}})
        elif name == "tools":
            msg = {"content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
                "name": "locate", "arguments": "{\"object\":\"cat\"}"}}]}
            self.send_json(200, completion(req, content="", finish="tool_calls", message_extra=msg), ids)
        elif name == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif name == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"id":"chatcmpl-cut","choi')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif name == "hang":
            time.sleep(float(pos[0]) if pos else 30)
            self.close_connection = True
        elif name == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"id":')
            self.wfile.flush()
            time.sleep(float(pos[0]) if pos else 30)
            self.close_connection = True
        elif name == "big":
            self.send_json(200, completion(req, content="x" * int(pos[0])), ids)
        elif name == "gzip":
            body = json.dumps(completion(req)).encode()
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.send_bytes(200, gzip.compress(body), "application/json", dict(ids, **{"Content-Encoding": "gzip"}))
            else:
                self.send_bytes(200, body, "application/json", ids)
        elif name == "reset":
            self.reset()
        elif name == "resetmid":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "400")
            self.end_headers()
            self.wfile.write(b'{"id":"chatcmpl-reset","object":"chat.completion","choi')
            self.wfile.flush()
            time.sleep(0.05)
            self.reset()
        elif name == "shortlength":
            body = json.dumps(completion(req)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "20")  # a lie: the body is longer
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        elif name == "badchunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"10\r\n{\"id\":\"chatcmpl-x\r\nzz-not-hex\r\nmore\r\n0\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif name == "http10":
            body = json.dumps(completion(req)).encode()
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body)
            self.wfile.flush()
            self.close_connection = True
        elif name == "echoauth":
            self.send_json(401, {"error": {"message": "Invalid key: " + self.headers.get("Authorization", ""),
                                           "type": "invalid_api_key"}})
        elif name == "sse":
            self.sse(req, pos, opts)
        elif name == "grounding":
            answer = ('```json\n[\n\t{"bbox_2d": [100, 200, 500, 800], "label": "cat"},\n'
                      '\t{"point_2d": [750, 250], "label": "bird"}\n]\n```')
            self.send_json(200, completion(req, content=answer), ids)
        elif name == "slowread":  # a short answer: the upload is what is being tested
            if req.get("stream") is True:
                self.sse(req, ["pieces=4096"], {"pieces": "4096", "text": "read"})
            else:
                self.send_json(200, completion(req, content="read"), ids)
        elif name == "sseerror":
            body = b'event: error\ndata: {"error": {"message": "model overloaded (sse)", "type": "server_error"}}\n\n'
            self.send_bytes(int(pos[0]), body, "text/event-stream")
        elif name == "bareerror":
            self.send_bytes(200, b'{"error":{"message":"Overloaded, try again"}}', "text/event-stream")
        elif name == "dashscope":
            self.send_json(int(pos[0]), {"code": "Throttling", "message": "Requests rate limit exceeded",
                                         "request_id": "ds-req-42"})
        elif name == "bigheader":
            self.send_json(200, completion(req), dict(ids, **{"x-big": "b" * int(pos[0])}))
        elif name == "busy":
            self.busy(req, int(pos[0]), int(pos[1]), opts.get("ra_ms", "20"), ids)
        elif name == "json-for-stream":
            self.send_json(200, completion(req), ids)
        elif name == "redirect":
            target = "http://%s%s" % (pos[0], self.path.replace("redirect", "ok", 1))
            self.send_bytes(307, b"", "text/plain", {"Location": target})
        else:
            self.send_json(500, {"error": {"message": "stand-in: unknown scenario " + name}})


    def busy(self, req, most, ms, ra_ms, ids):
        with LOCK:
            now = BUSY.get(self.uid, 0)
            if now < most:
                BUSY[self.uid] = now + 1
        if now >= most:
            self.send_json(429, {"error": {"message": "stand-in: %d requests at once at most" % most,
                                           "type": "rate_limit_exceeded"}}, {"retry-after-ms": ra_ms})
            return
        try:
            time.sleep(ms / 1000.0)
        finally:
            with LOCK:
                BUSY[self.uid] -= 1
        self.send_json(200, completion(req), ids)

    def read_slowly(self, length, per_second):
        """Reads the body in small pieces at per_second bytes a second, with a small receive buffer
        so that the sender feels it (an uplink slower than the upload)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        piece = max(1, per_second // 20)
        out = bytearray()
        while len(out) < length:
            data = self.rfile.read(min(piece, length - len(out)))
            if not data:
                break
            out += data
            time.sleep(0.05)
        return bytes(out)

    def reset(self):
        """Closes with a TCP RST instead of a FIN."""
        import struct
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def sse(self, req, flags, opts):
        flags = set(flags)
        nl = "\r\n" if "crlf" in flags else ("\r" if "cr" in flags else "\n")
        text = opts.get("text", "echo: " + last_user_text(req) + media_summary(req))
        base = {"id": "chatcmpl-sse", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": "qwen3-vl-32b-instruct", "system_fingerprint": None}

        def chunk(delta, finish=None, **extra):
            c = dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}])
            c.update(extra)
            return c

        events = [chunk({"role": "assistant", "content": None})]
        if "tools" in flags:
            events.append(chunk({"tool_calls": [{"index": 0, "id": "call_", "type": "function",
                                                 "function": {"name": "loc", "arguments": ""}}]}))
            events.append(chunk({"tool_calls": [{"index": 0, "id": "abc", "function": {"name": "ate", "arguments": "{\"obj"}}]}))
            events.append(chunk({"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                                                 "function": {"name": "zoom", "arguments": "{}"}}]}))
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": "ect\":\"cat\"}"}}]}))
            finish = "tool_calls"
        else:
            for ch in text * int(opts.get("repeat", "1")):
                events.append(chunk({"content": ch}))
            finish = "stop"
        if "nofinish" not in flags:
            events.append(chunk({}, finish))
        text = text * int(opts.get("repeat", "1"))
        usage = {"prompt_tokens": 11, "completion_tokens": len(text), "total_tokens": 11 + len(text)}
        so = req.get("stream_options") if isinstance(req, dict) else None
        if isinstance(so, dict) and so.get("include_usage") is True:
            # As OpenAI's service: the usage chunk only for a request that asks for it.
            events.append(dict(base, choices=[], usage=usage, meta={"usage": {"credits_used": 7, "usd_spent": 0.0000035}}))

        out = []
        for i, ev in enumerate(events):
            body = json.dumps(ev)
            if i == 3 and "errorevent" in flags:
                out.append("event: error" + nl + "data: " + json.dumps({"error": {"message": "model overloaded", "type": "server_error"}}) + nl + nl)
                break
            if i == 3 and "errorobj" in flags:
                out.append("data: " + json.dumps({"error": {"message": "upstream failed mid-stream", "code": 500}}) + nl + nl)
                break
            if i == 3 and "bigline" in flags:
                out.append("data: " + json.dumps(chunk({"content": "x" * 2000000})) + nl + nl)
            if "comments" in flags:
                out.append(": keep-alive" + nl)
            if "multiline" in flags:
                body = body.replace(", ", "," + nl + "data: ")
            sep = "data:" if "nospace" in flags else "data: "
            out.append(sep + body + nl + nl)
        if not any(f in flags for f in ("nodone", "nofinalblank", "nofinish", "errorevent", "errorobj")):
            out.append("data: [DONE]" + (" " if "donespace" in flags else "") + nl + nl)
        if "nofinalblank" in flags:
            out[-1] = out[-1][: -2 * len(nl)] if out[-1].endswith(nl + nl) else out[-1]

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-inference-id", "inf-sse")
        self.end_headers()
        max_piece = int(opts.get("pieces", "7"))
        delay = int(opts.get("delay", "0")) / 1000.0
        rng = random.Random(len(text))
        for i, ev in enumerate(out):
            data = ev.encode()
            if "cut" in flags and i == len(out) // 2:
                data = data[: len(data) // 2]
                self.write_pieces(data, max_piece, rng)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if i == 3 and "stall" in opts:
                time.sleep(float(opts["stall"]))
            self.write_pieces(data, max_piece, rng)
            if delay:
                time.sleep(delay)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def write_pieces(self, data, max_piece, rng):
        i = 0
        while i < len(data):
            n = rng.randint(1, max_piece)
            piece = data[i:i + n]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            i += n
            if rng.random() < 0.2:
                time.sleep(0.0002)  # let the client read a short piece on its own


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # the many-calls tests connect a thousand at once

    def handle_error(self, request, client_address):
        pass  # clients that hang up early are part of the tests, not news


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=1800, help="exit after this many seconds")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*args.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    # Stop by ourselves: after the lifetime, or when whoever started us goes away (stdin closes).
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()

    def watch_stdin():
        try:
            sys.stdin.read()
        finally:
            os._exit(0)
    if not sys.stdin.isatty():
        threading.Thread(target=watch_stdin, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
