// Turns a raw TCP socket into a secured connection: multistream-select `/noise`, the Noise XX
// handshake, then the muxer (inlined in Noise, or multistream-select `/yamux/1.0.0` over it).
// In a private network (a pre-shared key) the pnet protector comes first, below all of it: our
// nonce is the first thing sent, and every byte after it each way goes through the protector's
// XSalsa20 (proto/pnet). A peer without our key fails with an error whose message starts with
// pnet::kNotInNetwork (is_private_network_refusal), before any Noise work is spent on it.
#pragma once

#include <optional>

#include "crypto/ed25519.h"
#include "proto/noise/noise_handshake.h"
#include "proto/pnet/pnet_protector.h"
#include "runtime/asio/asio_util.h"

namespace agora::rt {

inline constexpr const char* kNoiseProtocol = "/noise";
inline constexpr const char* kYamuxProtocol = "/yamux/1.0.0";

struct UpgradeOptions {
  bool initiator = false;
  std::optional<PeerId> expected_peer;    // dialing a /p2p/ address
  bool inline_muxer = true;               // offer the Noise stream_muxers extension
  std::optional<pnet::PreSharedKey> psk;  // a private network: the pnet protector goes first
};

struct Upgraded {
  std::unique_ptr<noise::NoiseTransport> noise;
  PeerId peer;
  std::string muxer;
  bool muxer_inlined = false;
  Bytes plaintext_rest;  // decrypted bytes that already belong to the muxer
  std::unique_ptr<pnet::PnetProtector> protector;  // in a private network: its cipher states
};

// Whether an upgrade failed because the peer is not in our private network.
bool is_private_network_refusal(const Error& error);

// The caller bounds the time (it closes the socket on timeout).
awaitable<Result<Upgraded>> upgrade_connection(asio::ip::tcp::socket& socket,
                                               const crypto::Ed25519PrivateKey& identity,
                                               UpgradeOptions options);

}  // namespace agora::rt
