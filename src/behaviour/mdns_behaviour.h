// mDNS peer discovery (libp2p discovery/mdns.md) as a host::Behaviour on the datagram path: the
// sans-I/O MdnsCore (proto/mdns/mdns_core.h, which states the bounds on what a LAN host can make
// it spend) in the group 224.0.0.251:5353. It speaks no stream protocol. The runtime joins the
// group; the core starts (its first query) once the join worked; PeerDiscovered and PeerExpired
// come out of poll_event() for the owner (the node's connectivity), and stop() queues the
// goodbye, which the runtime sends when the owner wakes it.
#pragma once

#include <deque>

#include "host/behaviour.h"
#include "proto/mdns/mdns_core.h"

namespace agora::behaviour {

struct MdnsBehaviourConfig {
  std::string group = "224.0.0.251";
  uint16_t port = 5353;
  std::string interface_address;  // empty: the runtime's choice
  mdns::MdnsConfig core;          // core.seed 0: drawn from the injected entropy
};

class MdnsBehaviour final : public host::Behaviour {
 public:
  // Errc::invalid_input for a bad service or peer name, or limits that cannot work.
  static Result<std::unique_ptr<MdnsBehaviour>> create(PeerId local, MdnsBehaviourConfig config,
                                                       const host::Entropy& entropy);

  // The addresses to announce (MdnsCore::set_addresses).
  void set_addresses(const std::vector<Multiaddr>& addrs) { core_.set_addresses(addrs); }
  // Queues the goodbye; nothing is sent or heard after it.
  void stop(Instant now) { core_.stop(now); }
  std::optional<mdns::MdnsEvent> poll_event() { return core_.poll_event(); }

  bool running() const { return joined_; }
  const std::string& interface_address() const { return interface_address_; }
  const std::string& error() const { return error_; }  // why the group could not be joined
  const mdns::MdnsCore& core() const { return core_; }

  std::vector<host::ProtocolSpec> protocols() const override { return {}; }
  std::vector<host::MulticastGroup> multicast_groups() const override;
  void on_multicast_joined(const std::string& group, const Result<std::string>& interface_address,
                           Instant now) override;
  void on_datagram(const std::string& group, BytesView datagram, Instant now) override;
  void on_stream_opened(const host::StreamOpened&, Instant) override {}
  void on_message(host::StreamRef, Bytes, Instant) override {}
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  MdnsBehaviour(MdnsBehaviourConfig config, mdns::MdnsCore core)
      : config_(std::move(config)), core_(std::move(core)) {}

  MdnsBehaviourConfig config_;
  mdns::MdnsCore core_;
  bool joined_ = false;
  std::string interface_address_;
  std::string error_;
};

}  // namespace agora::behaviour
