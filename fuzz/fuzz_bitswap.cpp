// decode_message on arbitrary bytes: never crashes; whatever decodes re-encodes to bytes that
// decode to the same message and re-encode identically, and splits into parts that decode under
// the limits. The decoded message is then fed, from several peers and at several times, into a
// client core that wants its CIDs and a server core that has some of them; every bound the
// configs name must hold.
#include <cstdio>
#include <cstdlib>

#include "proto/bitswap/client.h"
#include "proto/bitswap/message.h"
#include "proto/bitswap/server.h"

using namespace agora;
using namespace agora::bitswap;

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      std::fprintf(stderr, "fuzz_bitswap: failed: %s\n", #cond); \
      std::abort();                                              \
    }                                                            \
  } while (0)

namespace {

// Has a block when the digest's first byte is even; its size comes from the second byte.
class DigestBlocks : public BlockInfo {
 public:
  std::optional<size_t> block_size(const Cid& cid) override {
    const Bytes& d = cid.hash().digest;
    if (d.empty() || d[0] % 2) return std::nullopt;
    return d.size() > 1 ? size_t(d[1]) * 64 : 1;
  }
};

PeerId fuzz_peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

void check_codec(const Message& message) {
  Bytes encoded = encode_message(message);
  auto again = decode_message(encoded);
  CHECK(again.ok());
  CHECK(*again == message);
  CHECK(encode_message(*again) == encoded);

  auto parts = split_message(message);
  if (!parts.ok()) return;  // e.g. a 2 MiB block with a long prefix: refused, not crashed
  size_t blocks = 0, presences = 0, entries = 0;
  for (const Message& part : *parts) {
    Bytes bytes = encode_message(part);
    CHECK(bytes.size() <= MessageLimits{}.message_bytes_max);
    auto decoded = decode_message(bytes);
    CHECK(decoded.ok());
    blocks += decoded->blocks.size();
    presences += decoded->presences.size();
    entries += decoded->wantlist.size();
  }
  CHECK(blocks == message.blocks.size());
  CHECK(presences == message.presences.size());
  CHECK(entries == message.wantlist.size());
}

void drain_client(Client& client, const ClientConfig& cfg) {
  while (auto out = client.poll_outbound())
    CHECK(out->message.wantlist.size() <= cfg.message_entries_max);
  while (auto event = client.poll_event()) {
    if (auto* got = std::get_if<BlockReceived>(&*event)) CHECK(got->cid.matches(got->data));
  }
  CHECK(client.want_count() <= cfg.wants_max);
  CHECK(client.live_want_count() <= cfg.live_wants_max);
  CHECK(client.want_blocks_in_flight() <= cfg.want_blocks_in_flight_max);
  CHECK(client.peer_count() <= cfg.peers_max);
}

void drain_server(Server& server, const ServerConfig& cfg) {
  while (auto task = server.poll_task(Instant{})) {
    CHECK(task->blocks.size() + task->presences.size() <= cfg.task_items_max);
    CHECK(!task->blocks.empty() || !task->presences.empty());
    server.task_done(task->id);
  }
  CHECK(server.peer_count() <= cfg.peers_max);
}

void run_cores(const Message& message) {
  ClientConfig ccfg;
  ccfg.wants_max = 64;
  ccfg.live_wants_max = 16;
  ccfg.peers_max = 3;
  ccfg.peer_want_blocks_in_flight_max = 4;
  ccfg.want_blocks_in_flight_max = 6;
  ccfg.recent_cids_max = 32;
  ccfg.peer_unsolicited_bytes_max = 4096;
  ccfg.peer_outbound_entries_max = 40;
  ccfg.message_entries_max = 8;
  ServerConfig scfg;
  scfg.peers_max = 2;
  scfg.peer_wants_max = 16;
  scfg.task_items_max = 8;
  DigestBlocks blocks;
  Client client(ccfg);
  Server server(scfg, blocks);

  std::vector<Cid> wanted;
  for (const WantEntry& e : message.wantlist) wanted.push_back(e.cid);
  for (const Presence& p : message.presences) wanted.push_back(p.cid);
  for (size_t i = 0; i < message.blocks.size(); i += 2) wanted.push_back(message.blocks[i].cid);

  Instant now{};
  for (uint8_t p = 1; p <= 4; ++p) (void)client.on_peer_connected(fuzz_peer(p), now);
  (void)client.want(wanted, now);
  drain_client(client, ccfg);
  for (uint8_t p = 1; p <= 4; ++p) {
    PeerId from = fuzz_peer(p);
    client.on_message(from, message, now);
    (void)server.on_message(from, message, now);
    drain_client(client, ccfg);
    drain_server(server, scfg);
    for (const Block& b : message.blocks) server.on_block_added(b.cid);
    drain_server(server, scfg);
    if (auto timer = client.next_timer()) {
      CHECK(*timer >= now);
      now = *timer;
      client.on_timer(now);
      drain_client(client, ccfg);
    }
    if (p == 2) client.on_peer_disconnected(fuzz_peer(1), now);
    if (p == 3) server.on_peer_disconnected(fuzz_peer(2));
  }
  client.cancel(wanted, now);
  drain_client(client, ccfg);
  CHECK(client.want_count() == 0);
  CHECK(client.want_blocks_in_flight() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = decode_message(BytesView(data, size));
  if (!decoded.ok()) return 0;
  CHECK(size <= MessageLimits{}.message_bytes_max);
  check_codec(*decoded);
  run_cores(*decoded);
  return 0;
}
