// kad::decode on arbitrary bytes: never crashes; whatever decodes re-encodes to bytes that decode
// to the same message and re-encode identically. The decoded message is then fed to a Kad core
// as an inbound request (the answer must respect the limits and survive the codec) and as the
// answer to each kind of lookup (as sent, and with its type fixed to match); afterwards every
// query must end by timeouts and leave no state behind.
#include <cstdio>
#include <cstdlib>

#include "proto/kad/kad.h"
#include "proto/kad/message.h"

using namespace agora;
using namespace agora::kad;

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      std::fprintf(stderr, "fuzz_kad: failed: %s\n", #cond); \
      std::abort();                                          \
    }                                                        \
  } while (0)

namespace {

PeerId fuzz_peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

void check_codec(const Message& message) {
  const Bytes encoded = encode(message);
  CHECK(encoded_size(message) == encoded.size());
  MessageLimits roomy;  // re-encoding writes defaults explicitly, so it may grow a little
  roomy.message_bytes_max = encoded.size();
  auto again = decode(encoded, roomy);
  CHECK(again.ok());
  CHECK(*again == message);
  CHECK(encode(*again) == encoded);
}

void check_answer(const Message& answer, const KadConfig& config) {
  CHECK(check_limits(answer, config.limits).ok());
  auto decoded = decode(encode(answer), config.limits);
  CHECK(decoded.ok());
  CHECK(*decoded == answer);
}

Kad make_server(const KadConfig& config, Instant now) {
  Kad kad(fuzz_peer(0), config);
  for (uint8_t i = 1; i <= 24; ++i)
    kad.on_peer_connected({fuzz_peer(i), {Bytes{4, 10, 0, 0, i}}}, true,
                          i % 2 ? kad::Direction::inbound : kad::Direction::outbound, now);
  while (kad.poll_outbound()) {
  }
  while (kad.poll_event()) {
  }
  return kad;
}

void drain_events(Kad& kad) {
  for (int i = 0; i < 100000 && kad.poll_event(); ++i) {
  }
  CHECK(!kad.poll_event());
}

void feed_as_answer(const Message& message, int op, const KadConfig& config) {
  const Instant now = Instant{} + std::chrono::hours(1);
  Kad kad = make_server(config, now);
  Result<QueryId> q = make_error(Errc::internal, "");
  switch (op) {
    case 0:
      q = kad.find_node(fuzz_peer(200), now);
      break;
    case 1:
      q = kad.get_value(pk_record_key(fuzz_peer(201)), now);
      break;
    default:
      q = kad.get_providers(
          Bytes{0x12, 0x20, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                16,   17,   18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32},
          now);
  }
  CHECK(q.ok());
  // Answer every request (and those the answers lead to) with the fuzzed message, as sent and
  // with its type made to match, for a bounded number of rounds.
  for (int round = 0; round < 20; ++round) {
    std::vector<OutboundRequest> out;
    while (auto r = kad.poll_outbound()) out.push_back(std::move(*r));
    if (out.empty()) break;
    for (size_t i = 0; i < out.size(); ++i) {
      Message answer = message;
      if (i % 2 == 0) answer.type = out[i].message.type;
      kad.on_response(out[i].id, answer, now + std::chrono::milliseconds(round));
    }
  }
  kad.on_timer(now + std::chrono::seconds(100));
  while (kad.poll_outbound()) {
  }
  kad.on_timer(now + std::chrono::seconds(200));
  drain_events(kad);
  CHECK(kad.query_count() == 0);
  CHECK(kad.requests_in_flight() == 0);
  CHECK(kad.routing_table().size() <= config.k * 256);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int op = data[0] % 3;
  auto message = decode(BytesView(data + 1, size - 1));
  if (!message.ok()) return 0;
  check_codec(*message);

  KadConfig config;
  config.alpha = 3;
  const Instant now = Instant{} + std::chrono::hours(1);
  Kad server = make_server(config, now);
  auto answer = server.handle_request(fuzz_peer(1), *message, now);
  if (answer.ok() && answer->has_value()) check_answer(**answer, config);
  // A second time from another peer, later: stores dedupe and expire without trouble.
  (void)server.handle_request(fuzz_peer(2), *message, now + std::chrono::hours(49));
  drain_events(server);

  feed_as_answer(*message, op, config);
  return 0;
}
