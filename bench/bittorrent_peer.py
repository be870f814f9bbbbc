"""libtorrent 2.0 peers and a one-peer tracker for bench/transfer_vs_bittorrent.sh.

Run with the Debian interpreter (/usr/bin/python3) and Debian's python3-libtorrent.

  seed FILE WORKDIR --piece-bytes N [--outside-ip ADDR]
      Hashes FILE once and writes two .torrent files with the same info-hash, v1-only (SHA-1
      pieces, as aria2 reads them): WORKDIR/plain.torrent (no tracker) and
      WORKDIR/tracked.torrent (announce to a tracker this process serves on 127.0.0.1, which
      answers every announce with this seed only, at 127.0.0.1). Seeds FILE from a
      session with lt.high_performance_seed() settings, plaintext, TCP only, listening on
      127.0.0.1, no DHT/LSD/UPnP/NAT-PMP. With --outside-ip, it listens on ADDR too (a local
      address outside 127/8, which transmission does not drop as martian) and writes
      WORKDIR/outside.torrent, same info-hash, whose announce the tracker answers with ADDR.
      Prints "listening PORT", "outside ADDR PORT" (with --outside-ip), "tracker URL", then
      "ready" once the full check says it holds every piece, and runs until killed. Appends to
      WORKDIR/upload-starts the time each upload starts after an idle spell (log_upload_starts).
  get TORRENT SAVE_DIR --peer 127.0.0.1:PORT
      A fresh session with the same settings adds TORRENT, connects straight to the peer, and waits
      until every piece is downloaded and hash-checked. Prints one JSON object: seconds from
      add to finished, the wall time when finished, the process's CPU seconds over that span,
      bytes.
  torrent FILE WORKDIR --piece-bytes N
      Writes WORKDIR/plain.torrent for FILE (v1, no tracker) and exits.
  swarm TORRENT SAVE_DIR --index I --dir DIR --upload-rate U     (bench/swarm_fluid.sh)
      One peer of a swarm: a session with lt.default_settings() (8 unchoke slots), TCP only,
      plaintext, every IP in the global peer class (so upload_rate_limit = U bytes/s applies on
      loopback too, where libtorrent otherwise exempts local peers), IP overhead not counted,
      several connections per IP allowed. Adds TORRENT (SAVE_DIR holding the whole file makes
      it the seed), waits for the check, writes its port to DIR/port.I and prints "ready". Then
      waits for DIR/go (first line: the start time, then one port per line in index order),
      connects to every peer with a lower index, and once it holds every piece writes
      DIR/done.I (JSON: finished_at, payload bytes uploaded so far). It keeps serving until
      DIR/stop exists, then writes DIR/final.I (JSON: payload and total bytes uploaded) and
      exits.
"""

import argparse
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time

import libtorrent as lt

FINISH_TIMEOUT_S = 1800
UPLOAD_IDLE_S = 0.5


def session_settings():
    settings = lt.high_performance_seed()
    settings.update({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # TCP, as agora and the other clients use: uTP's delay-based congestion control is not
        # what this benchmark compares.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # Plaintext payload. Incoming encrypted handshakes are accepted (aria2 always tries one
        # first and would retry a second later) but may only settle on plaintext.
        "out_enc_policy": int(lt.enc_policy.disabled),
        "in_enc_policy": int(lt.enc_policy.enabled),
        "allowed_enc_level": int(lt.enc_level.plaintext),
        "prefer_rc4": False,
        "alert_mask": int(lt.alert.category_t.error_notification),
    })
    return settings


def torrent_entry(path, piece_bytes):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece_bytes, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    return ct.generate()


def write_torrent(entry, torrent_file, announce):
    entry = dict(entry)
    if announce:
        entry[b"announce"] = announce.encode()
    with open(torrent_file, "wb") as f:
        f.write(lt.bencode(entry))


class OnePeerTracker(http.server.BaseHTTPRequestHandler):
    """Answers every announce with the seed's address (compact form): 127.0.0.1, or its outside
    address for a request under /outside/ (transmission derives its scrape URL from the announce
    URL, so scrapes come there too and get the same answer, which it accepts)."""

    peer = ("127.0.0.1", 0)
    outside_peer = None

    def do_GET(self):
        host, port = self.peer
        if self.path.startswith("/outside/") and self.outside_peer:
            host, port = self.outside_peer
        peers = socket.inet_aton(host) + struct.pack(">H", port)
        body = b"d8:intervali1800e5:peers6:" + peers + b"e"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_until(handle, predicate, what):
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    while not predicate(handle.status()):
        if time.monotonic() > deadline:
            sys.exit(f"bittorrent_peer: timed out waiting for {what}: {handle.status().state}")
        err = handle.status().errc
        if err.value() != 0:
            sys.exit(f"bittorrent_peer: torrent error while waiting for {what}: {err.message()}")
        time.sleep(0.005)


def log_upload_starts(handle, path):
    """Appends the wall time at which the seed starts sending payload after an idle spell of
    at least UPLOAD_IDLE_S: when a client's data transfer began, whatever its start-up did."""
    last_bytes, last_change = 0, 0.0
    while True:
        now = time.time()
        sent = handle.status().total_payload_upload
        if sent != last_bytes:
            if now - last_change >= UPLOAD_IDLE_S:
                with open(path, "a") as f:
                    f.write(f"{now:.6f}\n")
            last_bytes, last_change = sent, now
        time.sleep(0.005)


def tcp_listen_ports(session, addresses):
    """The TCP port the session listens on at each of ADDRESSES, from its listen alerts (with
    port 0 in listen_interfaces, each address gets a port of its own)."""
    ports = {}
    deadline = time.monotonic() + 10
    while len(ports) < len(addresses):
        if time.monotonic() > deadline:
            sys.exit(f"bittorrent_peer: no TCP listen socket on {set(addresses) - set(ports)}")
        session.wait_for_alert(100)
        for a in session.pop_alerts():
            if isinstance(a, (lt.listen_succeeded_alert, lt.listen_failed_alert)) and \
                    a.socket_type == lt.socket_type_t.tcp:
                if isinstance(a, lt.listen_failed_alert):
                    sys.exit(f"bittorrent_peer: {a.message()}")
                ports[str(a.address)] = a.port
    return [ports[address] for address in addresses]


def seed(args):
    plain = os.path.join(args.workdir, "plain.torrent")
    tracked = os.path.join(args.workdir, "tracked.torrent")
    settings = session_settings()
    addresses = ["127.0.0.1"] + ([args.outside_ip] if args.outside_ip else [])
    settings["listen_interfaces"] = ",".join(f"{a}:0" for a in addresses)
    # The listen alerts are status notifications: on until every port is known.
    settings["alert_mask"] = int(lt.alert.category_t.error_notification |
                                 lt.alert.category_t.status_notification)
    session = lt.session(settings)
    ports = tcp_listen_ports(session, addresses)
    session.apply_settings({"alert_mask": int(lt.alert.category_t.error_notification)})
    port = ports[0]
    OnePeerTracker.peer = ("127.0.0.1", port)
    if args.outside_ip:
        OnePeerTracker.outside_peer = (args.outside_ip, ports[1])
    tracker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnePeerTracker)
    threading.Thread(target=tracker.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{tracker.server_address[1]}/announce"
    entry = torrent_entry(args.file, args.piece_bytes)
    write_torrent(entry, plain, None)
    write_torrent(entry, tracked, url)
    if args.outside_ip:
        write_torrent(entry, os.path.join(args.workdir, "outside.torrent"),
                      f"http://127.0.0.1:{tracker.server_address[1]}/outside/announce")
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(plain)
    params.save_path = os.path.dirname(os.path.abspath(args.file))
    handle = session.add_torrent(params)
    print(f"listening {port}", flush=True)
    if args.outside_ip:
        print(f"outside {args.outside_ip} {ports[1]}", flush=True)
    print(f"tracker {url}", flush=True)
    wait_until(handle, lambda s: s.is_seeding, "the seed's check")
    starts = os.path.join(args.workdir, "upload-starts")
    threading.Thread(target=log_upload_starts, args=(handle, starts), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()  # until the driver kills us


def get(args):
    host, port = args.peer.rsplit(":", 1)
    session = lt.session(session_settings())
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save_dir
    cpu0 = os.times()
    t0 = time.monotonic()
    handle = session.add_torrent(params)
    handle.connect_peer((host, int(port)))
    wait_until(handle, lambda s: s.is_finished or s.is_seeding, "the download")
    seconds = time.monotonic() - t0
    cpu1 = os.times()
    cpu = round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 2)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "finished_at": time.time(),
                      "bytes": params.ti.total_size(), "libtorrent": lt.__version__}))


def swarm_settings(upload_rate):
    settings = lt.default_settings()
    settings.update({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # TCP only: uTP crawls on loopback, and agora uses TCP.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "out_enc_policy": int(lt.enc_policy.disabled),
        "in_enc_policy": int(lt.enc_policy.disabled),
        "allowed_enc_level": int(lt.enc_level.plaintext),
        "prefer_rc4": False,
        # Every peer is on 127.0.0.1.
        "allow_multiple_connections_per_ip": True,
        "upload_rate_limit": upload_rate,
        # Count TCP payload, as agora's limit counts the bytes it writes to TCP.
        "rate_limit_ip_overhead": False,
        "alert_mask": int(lt.alert.category_t.error_notification),
    })
    return settings


def write_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


def wait_for_file(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"bittorrent_peer: timed out waiting for {path}")
        time.sleep(0.002)


def swarm(args):
    session = lt.session(swarm_settings(args.upload_rate))
    # libtorrent puts 127/8 and private networks in the local peer class, which no rate limit
    # applies to: put every IPv4 address in the global class instead.
    classes = lt.ip_filter()
    classes.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    session.set_peer_class_filter(classes)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args.torrent)
    params.save_path = args.save_dir
    handle = session.add_torrent(params)
    checking = (lt.torrent_status.states.checking_files, lt.torrent_status.states.checking_resume_data)
    wait_until(handle, lambda s: s.state not in checking and s.has_metadata, "the check")
    port = session.listen_port()
    write_json(os.path.join(args.dir, f"port.{args.index}"), port)
    print("ready", flush=True)
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    go = os.path.join(args.dir, "go")
    wait_for_file(go, deadline)
    lines = open(go).read().split()
    for p in lines[1:1 + args.index]:
        handle.connect_peer(("127.0.0.1", int(p)))
    wait_until(handle, lambda s: s.is_finished or s.is_seeding, "the download")
    st = handle.status()
    write_json(os.path.join(args.dir, f"done.{args.index}"),
               {"finished_at": time.time(), "uploaded": st.total_payload_upload})
    wait_for_file(os.path.join(args.dir, "stop"), deadline)
    st = handle.status()
    write_json(os.path.join(args.dir, f"final.{args.index}"),
               {"payload_uploaded": st.total_payload_upload, "uploaded": st.total_upload,
                "payload_downloaded": st.total_payload_download})


def make_torrent(args):
    write_torrent(torrent_entry(args.file, args.piece_bytes),
                  os.path.join(args.workdir, "plain.torrent"), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("seed")
    p.add_argument("file")
    p.add_argument("workdir")
    p.add_argument("--piece-bytes", type=int, default=4 << 20)
    p.add_argument("--outside-ip")
    p = sub.add_parser("get")
    p.add_argument("torrent")
    p.add_argument("save_dir")
    p.add_argument("--peer", required=True)
    p = sub.add_parser("torrent")
    p.add_argument("file")
    p.add_argument("workdir")
    p.add_argument("--piece-bytes", type=int, default=1 << 20)
    p = sub.add_parser("swarm")
    p.add_argument("torrent")
    p.add_argument("save_dir")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--upload-rate", type=int, required=True)
    args = parser.parse_args()
    {"seed": seed, "get": get, "torrent": make_torrent, "swarm": swarm}[args.cmd](args)


if __name__ == "__main__":
    main()
