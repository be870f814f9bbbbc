// Attacking clients for the hostile-peer tests: a peer that completes a genuine Noise + yamux
// upgrade and then speaks raw yamux frames, from a chosen loopback source address (127.0.0.0/8 is
// all local, so a test can play many hosts and networks), and helpers to read what the victim
// recorded (metrics, events) and how much memory the process holds.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "codec/varint.h"
#include "node/node.h"
#include "node_test_util.h"
#include "proto/yamux/yamux_frame.h"
#include "raw_socket.h"
#include "runtime/asio/upgrade.h"

namespace agora::test {

inline constexpr std::chrono::milliseconds kAttackWait{10000};  // never a timing assertion

// Runs `task` on `ex`; the future gets its result (Result<T> has no default constructor, which
// asio::use_future needs).
template <class T>
std::future<T> spawn_future(asio::any_io_executor ex, rt::awaitable<T> task) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  asio::co_spawn(
      ex,
      [promise, task = std::move(task)]() mutable -> rt::awaitable<void> {
        promise->set_value(co_await std::move(task));
      },
      asio::detached);
  return future;
}

// Sum over every series of a family.
inline double metric_sum(node::Node& node, const std::string& name) {
  std::string text = node.metrics().render_prometheus();
  double sum = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0)
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Occurrences of events of `type` with `reason`, summaries by their count.
inline size_t count_events(node::Node& node, observe::EventType type, const std::string& reason) {
  return count_events(
      node, [&](const observe::Event& e) { return e.type == type && e.reason == reason; });
}

// Yamux frames fully contained in `plain` (Data payloads skipped); stops at a malformed header.
inline std::vector<yamux::YamuxHeader> complete_frames(const Bytes& plain) {
  std::vector<yamux::YamuxHeader> out;
  size_t pos = 0;
  while (pos + yamux::kYamuxHeaderBytes <= plain.size()) {
    auto h = yamux::parse_yamux_header(plain.data() + pos);
    if (!h) break;
    size_t payload = h->type == yamux::YamuxType::data ? h->length : 0;
    if (pos + yamux::kYamuxHeaderBytes + payload > plain.size()) break;
    out.push_back(*h);
    pos += yamux::kYamuxHeaderBytes + payload;
  }
  return out;
}

// One multistream-select message: varint length, the text, a newline.
inline Bytes multistream_line(const std::string& text) {
  Bytes out;
  put_uvarint(out, text.size() + 1);
  std::string line = text + "\n";
  append(out, as_bytes(line));
  return out;
}

inline Bytes frame(yamux::YamuxType type, uint16_t flags, yamux::StreamId stream, uint32_t length) {
  Bytes out;
  yamux::put_yamux_header(out, yamux::YamuxHeader{type, flags, stream, length});
  return out;
}

// An attacker that completed a genuine upgrade and now speaks raw yamux over Noise.
struct SecuredAttacker {
  RawSocket sock;
  std::unique_ptr<noise::NoiseTransport> noise;
  Bytes plain;  // everything the node sent after the handshake, decrypted
  bool decrypt_failed = false;

  bool send_plain(BytesView bytes) {
    Bytes cipher;
    noise->encrypt(bytes, cipher);
    return sock.send_all(cipher);
  }
  // Reads until `done(frames so far)`, the node closes, or the timeout; returns done(...).
  bool read_until(const std::function<bool(const std::vector<yamux::YamuxHeader>&)>& done,
                  std::chrono::milliseconds timeout = kAttackWait) {
    Bytes cipher;
    auto check = [&] {
      if (!cipher.empty() && !decrypt_failed) {
        decrypt_failed = !noise->decrypt(cipher, plain).ok();
        cipher.clear();
      }
      return decrypt_failed || done(complete_frames(plain));
    };
    sock.read_until(cipher, check, timeout);
    return done(complete_frames(plain));
  }
};

struct AttackOptions {
  std::string source_ip = "127.0.0.1";  // any 127.x.y.z: another host or network on loopback
  int receive_buffer_bytes = 0;         // 0: the kernel's default; small: stop reading sooner
};

// A TCP connection from `options.source_ip` to the node's loopback port, not yet upgraded.
inline Result<asio::ip::tcp::socket> connect_from(asio::io_context& io, uint16_t port,
                                                  const AttackOptions& options) {
  asio::ip::tcp::socket socket(io);
  asio::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec && options.receive_buffer_bytes > 0)
    socket.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
  if (!ec) socket.bind({asio::ip::make_address_v4(options.source_ip), 0}, ec);
  if (!ec) socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  if (ec) return make_error(Errc::io, "connect from " + options.source_ip + ": " + ec.message());
  return socket;
}

inline Result<SecuredAttacker> upgrade_attacker(uint16_t port, const PeerId& node_peer,
                                                const AttackOptions& options = {}) {
  asio::io_context aio;
  auto socket = connect_from(aio, port, options);
  if (!socket) return socket.error();
  auto identity = crypto::Ed25519PrivateKey::generate();  // a throwaway identity each time
  rt::UpgradeOptions upgrade;
  upgrade.initiator = true;
  upgrade.expected_peer = node_peer;
  auto fut = spawn_future(aio.get_executor(), rt::upgrade_connection(*socket, identity, upgrade));
  aio.run();
  auto up = fut.get();
  if (!up) return up.error();
  SecuredAttacker a;
  a.noise = std::move(up->noise);
  a.plain = std::move(up->plaintext_rest);
  a.sock = RawSocket(socket->release());
  return a;
}

// A plain TCP connection from `source_ip` that says nothing (a half-open flood).
inline RawSocket silent_connection(uint16_t port, const std::string& source_ip) {
  asio::io_context io;
  auto socket = connect_from(io, port, {.source_ip = source_ip});
  return socket ? RawSocket(socket->release()) : RawSocket();
}

}  // namespace agora::test
