#!/usr/bin/env python3
"""Writes the fixed replies the benchmark server (nginx) serves, and its configuration.

    canned.py DIR PORT   ->  DIR/nginx.conf, DIR/www/plain/v1/chat/completions (a chat.completion),
                             DIR/www/stream/v1/chat/completions (a 500-chunk SSE stream)
    canned.py DIR PORT CERT KEY H2PORT H1PORT
                         ->  the same, plus HTTPS listeners with (H2PORT) and without (H1PORT) HTTP/2,
                             logging each request's connection number to DIR/h2.log and DIR/h1.log
"""
import json
import sys
from pathlib import Path

CHUNKS = 500


def main() -> None:
    out, port = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    base = {"id": "chatcmpl-bench", "created": 1764000000, "model": "qwen3-vl-32b-instruct", "system_fingerprint": None}
    reply = dict(base, object="chat.completion", choices=[{
        "index": 0, "message": {"role": "assistant", "content": "A grey cat sits on a red sofa next to a window."},
        "finish_reason": "stop", "logprobs": None}],
        usage={"prompt_tokens": 1240, "completion_tokens": 14, "total_tokens": 1254},
        meta={"usage": {"credits_used": 2100, "usd_spent": 0.00105}})
    events = [dict(base, object="chat.completion.chunk",
                   choices=[{"index": 0, "delta": {"role": "assistant", "content": None}, "finish_reason": None}])]
    for i in range(CHUNKS - 2):
        events.append(dict(base, object="chat.completion.chunk",
                           choices=[{"index": 0, "delta": {"content": "tok%d " % i}, "finish_reason": None}]))
    events.append(dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    events.append(dict(base, object="chat.completion.chunk", choices=[],
                       usage={"prompt_tokens": 12, "completion_tokens": CHUNKS - 2, "total_tokens": CHUNKS + 10}))
    sse = "".join("data: " + json.dumps(e) + "\n\n" for e in events) + "data: [DONE]\n\n"
    for kind, body in (("plain", json.dumps(reply)), ("stream", sse)):
        f = out / "www" / kind / "v1" / "chat" / "completions"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(body)
    tls = ""
    if len(sys.argv) == 7:
        cert, key, h2, h1 = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        for port_, proto, log in ((h2, " http2", "h2"), (h1, "", "h1")):
            tls += f"""
    server {{
        listen 127.0.0.1:{port_} ssl{proto};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        access_log {out}/{log}.log conns;
        root {out}/www;
        location /plain/ {{ default_type application/json; error_page 405 =200 $uri; }}
        location /stream/ {{ default_type text/event-stream; error_page 405 =200 $uri; }}
    }}"""
    (out / "nginx.conf").write_text(f"""
worker_processes 1;
pid {out}/nginx.pid;
error_log {out}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    log_format conns '$connection $server_protocol $status';
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_max_body_size 200m;
    client_body_buffer_size 64m;  # bodies kept in memory: the benchmark times the client, not a disk
    client_body_temp_path {out}/body;
    types {{ }}
    server {{
        listen 127.0.0.1:{port};
        root {out}/www;
        # Static files answer POST with 405; turn that into the file itself.
        location /plain/ {{ default_type application/json; error_page 405 =200 $uri; }}
        location /stream/ {{ default_type text/event-stream; error_page 405 =200 $uri; }}
    }}{tls}
}}
""")


if __name__ == "__main__":
    main()
