#include "behaviour/mdns_behaviour.h"

namespace agora::behaviour {

namespace {
constexpr const char* kGroupName = "mdns";
}

Result<std::unique_ptr<MdnsBehaviour>> MdnsBehaviour::create(PeerId local,
                                                             MdnsBehaviourConfig config,
                                                             const host::Entropy& entropy) {
  if (config.core.seed == 0) {
    uint8_t seed[8];
    entropy(seed);
    for (uint8_t b : seed) config.core.seed = config.core.seed << 8 | b;
  }
  AGORA_ASSIGN(mdns::MdnsCore core, mdns::MdnsCore::create(std::move(local), config.core));
  return std::unique_ptr<MdnsBehaviour>(new MdnsBehaviour(std::move(config), std::move(core)));
}

std::vector<host::MulticastGroup> MdnsBehaviour::multicast_groups() const {
  return {{.name = kGroupName,
           .address = config_.group,
           .port = config_.port,
           .interface_address = config_.interface_address,
           // A larger datagram is no DNS message we accept: the runtime drops and counts it.
           .datagram_bytes_max = config_.core.dns.message_bytes_max}};
}

void MdnsBehaviour::on_multicast_joined(const std::string&,
                                        const Result<std::string>& interface_address, Instant now) {
  if (!interface_address) {
    error_ = interface_address.error().message;
    return;
  }
  joined_ = true;
  interface_address_ = *interface_address;
  core_.start(now);
}

void MdnsBehaviour::on_datagram(const std::string&, BytesView datagram, Instant now) {
  // A bad datagram is counted by the core (stats().datagrams_invalid) and otherwise ignored.
  if (joined_) (void)core_.on_datagram(datagram, now);
}

void MdnsBehaviour::on_timer(Instant now) { core_.on_timer(now); }
std::optional<Instant> MdnsBehaviour::next_timer() const { return core_.next_timer(); }

std::optional<host::BehaviourAction> MdnsBehaviour::poll_action() {
  auto datagram = core_.poll_send();
  if (!datagram) return std::nullopt;
  return host::SendDatagram{kGroupName, std::move(*datagram)};
}

}  // namespace agora::behaviour
