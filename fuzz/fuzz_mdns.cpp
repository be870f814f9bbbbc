// decode_message on arbitrary bytes: never crashes; whatever decodes is within the limits,
// re-encodes to bytes that decode to the same message and re-encode identically. The bytes are
// then fed, at several times, to MdnsCore::on_datagram of a core that announces addresses and
// has small limits; every bound its config names must hold, it never reports itself, and its
// timer never goes back in time.
#include <cstdio>
#include <cstdlib>

#include "proto/mdns/mdns_core.h"

using namespace agora;
using namespace agora::mdns;

#define CHECK(cond)                                           \
  do {                                                        \
    if (!(cond)) {                                            \
      std::fprintf(stderr, "fuzz_mdns: failed: %s\n", #cond); \
      std::abort();                                           \
    }                                                         \
  } while (0)

namespace {

void check_codec(BytesView input, const DnsMessage& m) {
  DnsLimits limits;
  CHECK(input.size() <= limits.message_bytes_max);
  CHECK(m.questions.size() <= limits.questions_max);
  CHECK(m.answers.size() + m.authorities.size() + m.additionals.size() <= limits.records_max);
  auto encoded = encode_message(m);
  CHECK(encoded.ok());
  auto again = decode_message(*encoded, DnsLimits{.message_bytes_max = 1 << 20});
  CHECK(again.ok());
  CHECK(*again == m);
  auto twice = encode_message(*again);
  CHECK(twice.ok() && *twice == *encoded);

  AnnouncementLimits alimits{.peers_max = 3, .addrs_per_peer_max = 2};
  AnnouncementSkips skips;
  for (const Announcement& a : read_announcements(m, *Name::parse(kServiceName), alimits, skips)) {
    CHECK(!a.addrs.empty() && a.addrs.size() <= alimits.addrs_per_peer_max);
    CHECK(!a.peer.empty());
    for (const Multiaddr& addr : a.addrs)
      CHECK(addr.peer_id() != a.peer || !addr.components().empty());
  }
}

PeerId fuzz_peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

void drain(MdnsCore& core, const MdnsConfig& cfg, Instant now) {
  size_t sent = 0;
  while (auto d = core.poll_send()) {
    CHECK(d->size() <= cfg.datagram_bytes_max);
    ++sent;
  }
  CHECK(sent <= cfg.outbound_datagrams_max);
  while (auto e = core.poll_event()) {
    if (auto* found = std::get_if<PeerDiscovered>(&*e)) {
      CHECK(found->peer != core.local_peer());
      CHECK(!found->addrs.empty());
      CHECK(found->addrs.size() <= cfg.announcements.addrs_per_peer_max);
    }
  }
  CHECK(core.known_peer_count() <= cfg.known_peers_max);
  if (auto t = core.next_timer()) CHECK(*t > now);
}

void run_core(BytesView input) {
  MdnsConfig cfg;
  cfg.seed = 1;
  cfg.known_peers_max = 2;
  cfg.outbound_datagrams_max = 4;
  cfg.events_max = 4;
  cfg.announcements = {.peers_max = 3, .addrs_per_peer_max = 2};
  auto core = MdnsCore::create(fuzz_peer(1), cfg);
  CHECK(core.ok());
  core->set_addresses({*Multiaddr::parse("/ip4/10.0.0.1/tcp/4001")});
  Instant now = Instant{} + std::chrono::hours(1);
  core->start(now);
  drain(*core, cfg, now);
  for (int round = 0; round < 4; ++round) {
    Status st = core->on_datagram(input, now);
    CHECK(st.ok() == decode_message(input).ok());
    drain(*core, cfg, now);
    if (auto t = core->next_timer()) {
      now = *t;
      core->on_timer(now);
      drain(*core, cfg, now);
    }
  }
  core->stop(now);
  drain(*core, cfg, now);
  CHECK(!core->next_timer());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  auto decoded = decode_message(input);
  if (decoded.ok()) check_codec(input, *decoded);
  run_core(input);
  return 0;
}
