#!/usr/bin/env python3
"""Attacks a daemon's local API the way issue 9 did, for api_daemons.sh.

Usage: api_attacker.py PORT SECONDS TRICKLERS IDLE FILLERS SOURCES

Keeps TRICKLERS connections sending a request header one byte a second (never finishing it),
IDLE connections that send nothing, and FILLERS that send 15 KiB of header at once and then
trickle, for SECONDS; each connection cut off is replaced at once (one refused with 503 after
0.1 s, so the test does not spin). Idle connections come from 127.0.0.1, the others cycle through
127.0.0.2 .. 127.0.0.<SOURCES + 1>, so one client piles up and several attack together. Prints one
JSON object: connections opened, refused at once (503), cut off (closed by the daemon; with 408),
the longest any connection that was not refused lived, and how many were still open at the end."""
import json
import selectors
import socket
import sys
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
tricklers, idle, fillers, sources = (int(a) for a in sys.argv[3:7])

sel = selectors.DefaultSelector()
stats = {"opened": 0, "refused": 0, "cut": 0, "cut_408": 0, "longest_s": 0.0, "still_open": 0}
conns = {}  # socket -> state
serial = 0
reopen = []  # (when, kind)


def open_one(kind):
    global serial
    serial += 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1" if kind == "idle" else f"127.0.0.{2 + serial % sources}", 0))
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    state = {"kind": kind, "start": time.monotonic(), "next": time.monotonic(), "got": b""}
    if kind == "filler":
        state["burst"] = b"GET /api/v0/id HTTP/1.1\r\nX-Pad: " + b"a" * 15000
    conns[s] = state
    sel.register(s, selectors.EVENT_READ)
    stats["opened"] += 1


def close_one(s, state):
    sel.unregister(s)
    s.close()
    del conns[s]
    lived = time.monotonic() - state["start"]
    if b" 503 " in state["got"][:16]:
        stats["refused"] += 1
        reopen.append((time.monotonic() + 0.1, state["kind"]))
        return
    stats["cut"] += 1
    stats["cut_408"] += b" 408 " in state["got"][:16]
    stats["longest_s"] = max(stats["longest_s"], lived)
    open_one(state["kind"])


for kind, n in (("trickle", tricklers), ("idle", idle), ("filler", fillers)):
    for _ in range(n):
        open_one(kind)

end = time.monotonic() + seconds
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.2):
        s, state = key.fileobj, conns[key.fileobj]
        try:
            data = s.recv(4096)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        state["got"] += data
        if not data:
            close_one(s, state)
    now = time.monotonic()
    for when, kind in [r for r in reopen if r[0] <= now]:
        reopen.remove((when, kind))
        open_one(kind)
    for s, state in list(conns.items()):
        if state["kind"] == "idle" or now < state["next"]:
            continue
        state["next"] = now + 1.0
        try:
            if "burst" in state:
                s.send(state.pop("burst"))
            elif state["kind"] == "trickle" and now - state["start"] < 1.5:
                s.send(b"GET /api/v0/id HTTP/1.1\r\n")
            else:
                s.send(b"a")
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            pass  # cut off: the read side sees it

stats["still_open"] = len(conns)
print(json.dumps(stats))
