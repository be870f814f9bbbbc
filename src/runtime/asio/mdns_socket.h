// LAN peer discovery: an MdnsCore driven by a UDP socket on the mDNS group and an Asio timer.
//
// The socket is bound to 0.0.0.0:5353 with SO_REUSEADDR and SO_REUSEPORT, so it shares the port
// with Avahi, Bonjour and other libp2p nodes on the host (each socket in the group gets its own
// copy of every multicast datagram). It joins 224.0.0.251 on one IPv4 interface, sends from that
// interface with TTL 255 (RFC 6762 §11), and keeps multicast loop on so nodes on the same host
// find each other. IPv4 only, like js-libp2p. Runs on one io_context thread; call every method
// from that thread. Destroying the MdnsSocket closes it (with a goodbye).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/mdns/mdns_core.h"
#include "runtime/asio/asio_util.h"

namespace agora::rt {

struct MdnsSocketConfig {
  // IPv4 address of the interface to join the group on and send from; empty: the one
  // default_mdns_interface() picks.
  std::string interface_address;
  uint16_t port = 5353;
  std::string group = "224.0.0.251";
  mdns::MdnsConfig core;  // core.seed 0: filled from std::random_device
};

struct MdnsSocketStats {
  uint64_t datagrams_sent = 0;
  uint64_t send_errors = 0;  // no route, socket buffer full: the datagram is dropped
  uint64_t receive_errors = 0;
};

// The first interface that is up, multicast-capable and not loopback with an IPv4 address; else
// the loopback address if it is up and multicast-capable; else nothing.
std::optional<std::string> default_mdns_interface();

class MdnsSocket {
 public:
  using EventHandler = std::function<void(const mdns::MdnsEvent&)>;

  // Opens, binds and joins, then sends the first query. Errc::io names the step that failed;
  // Errc::invalid_input a bad address or core config.
  static Result<std::unique_ptr<MdnsSocket>> open(asio::any_io_executor executor, PeerId local,
                                                  MdnsSocketConfig config, EventHandler on_event);
  ~MdnsSocket();
  MdnsSocket(const MdnsSocket&) = delete;
  MdnsSocket& operator=(const MdnsSocket&) = delete;

  // Our addresses to announce (typically Swarm::listen_addrs()); /p2p/<local> is added.
  void set_addresses(const std::vector<Multiaddr>& addrs);
  // Sends a goodbye (our records with TTL 0) and closes the socket; no events after this.
  // Idempotent. The event handler may call it.
  void close();

  const mdns::MdnsCore& core() const;
  const MdnsSocketStats& stats() const;
  const std::string& interface_address() const;

 private:
  struct Impl;  // shared with the receive and timer loops, which outlive a close() by a turn
  explicit MdnsSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace agora::rt
