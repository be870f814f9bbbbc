// One UDP socket in an IPv4 multicast group, for the behaviours' datagram path (mDNS today).
//
// The socket is bound to 0.0.0.0:<port> with SO_REUSEADDR and SO_REUSEPORT, so it shares the port
// with Avahi, Bonjour and other libp2p nodes on the host (each socket in the group gets its own
// copy of every multicast datagram). It joins the group on one IPv4 interface, sends from that
// interface with TTL 255 (RFC 6762 §11), and keeps multicast loop on so nodes on the same host
// find each other. Sends are non-blocking and best effort: a full socket buffer drops the
// datagram (counted). A received datagram over datagram_bytes_max is dropped (counted). Runs on
// one io_context thread; call every method from that thread. Destroying it closes it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "runtime/asio/asio_util.h"

namespace agora::rt {

struct MulticastSocketConfig {
  std::string group = "224.0.0.251";
  uint16_t port = 5353;
  // IPv4 address of the interface to join on and send from; empty: default_multicast_interface().
  std::string interface_address;
  size_t datagram_bytes_max = 9000;
};

struct MulticastSocketStats {
  uint64_t datagrams_sent = 0;
  uint64_t send_errors = 0;  // no route, socket buffer full: the datagram is dropped
  uint64_t datagrams_received = 0;
  uint64_t datagrams_oversized = 0;
  uint64_t receive_errors = 0;
};

// The first interface that is up, multicast-capable and not loopback with an IPv4 address; else
// the loopback address if it is up and multicast-capable; else nothing.
std::optional<std::string> default_multicast_interface();

class MulticastSocket {
 public:
  using DatagramHandler = std::function<void(BytesView)>;

  // Opens, binds and joins. Errc::io names the step that failed; Errc::invalid_input a bad
  // address.
  static Result<std::unique_ptr<MulticastSocket>> open(asio::any_io_executor executor,
                                                       MulticastSocketConfig config,
                                                       DatagramHandler on_datagram);
  ~MulticastSocket();
  MulticastSocket(const MulticastSocket&) = delete;
  MulticastSocket& operator=(const MulticastSocket&) = delete;

  void send(BytesView datagram);
  // No datagrams are handed over after this. Idempotent; the handler may call it.
  void close();

  const std::string& interface_address() const;
  const MulticastSocketStats& stats() const;

 private:
  struct Impl;  // shared with the receive loop, which outlives a close() by a turn
  explicit MulticastSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace agora::rt
