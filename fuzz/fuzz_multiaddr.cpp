// Multiaddr decoders: binary and text forms must round trip exactly through each other.
#include <cstdlib>

#include "codec/multiaddr.h"

using namespace agora;

static void check(bool ok) {
  if (!ok) std::abort();
}

static void check_helpers(const Multiaddr& ma) {
  if (auto ep = ma.tcp_endpoint()) {
    Multiaddr rebuilt = Multiaddr::from_tcp(ep->host, ep->port, ep->ipv6);
    check(rebuilt.components().size() == 2);
    check(rebuilt.components()[0] == ma.components()[0]);
    check(rebuilt.components()[1] == ma.components()[1]);
  }
  if (auto id = ma.peer_id()) {
    Multiaddr bare = ma.without_peer_id();
    check(bare.with_peer_id(*id).peer_id() == id);
  }
}

// Any accepted multiaddr re-encodes to both forms, and both forms decode back to it.
static void check_round_trip(const Multiaddr& ma) {
  check(ma.components().size() <= kMultiaddrComponentsMax);
  Bytes bytes = ma.to_bytes();
  check(bytes.size() <= kMultiaddrBytesMax);
  auto from_binary = Multiaddr::from_bytes(bytes);
  check(from_binary.ok());
  check(*from_binary == ma);
  std::string text = ma.to_string();
  check(text.size() <= kMultiaddrTextCharsMax);
  auto from_text = Multiaddr::parse(text);
  check(from_text.ok());
  check(*from_text == ma);
  check(from_text->to_string() == text);
  check_helpers(ma);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView in(data, size);
  if (auto ma = Multiaddr::from_bytes(in); ma.ok()) {
    check(ma->to_bytes() == Bytes(in.begin(), in.end()));  // the binary form is canonical
    check_round_trip(*ma);
  }
  if (auto ma = Multiaddr::parse(as_chars(in)); ma.ok()) check_round_trip(*ma);
  return 0;
}
