#include "runtime/asio/upgrade.h"

#include "crypto/random.h"
#include "proto/multistream/multistream.h"

namespace agora::rt {

namespace {

constexpr size_t kHandshakeReadBytes = 64 * 1024;

// Our output with the protector's nonce in front (once) and its XSalsa20 over the rest.
template <class Core>
void take_protected_output(Core& core, pnet::PnetProtector* protector, Bytes& out) {
  out.clear();
  if (protector) protector->take_output(out);
  size_t plain_from = out.size();
  core.take_output(out);
  if (protector) protector->encrypt(out.data() + plain_from, out.size() - plain_from);
}

// Received bytes through the protector (the remote's nonce is consumed, the rest decrypted).
Result<std::span<uint8_t>> unprotect(pnet::PnetProtector* protector, std::span<uint8_t> in) {
  if (!protector) return in;
  return protector->on_bytes(in);
}

// Runs a sans-I/O negotiation core over the raw socket (through the protector, if any) until it
// is done.
template <class Core>
awaitable<Status> drive_plain(asio::ip::tcp::socket& socket, Core& core,
                              pnet::PnetProtector* protector) {
  Bytes out;
  Bytes in(kHandshakeReadBytes);
  for (;;) {
    take_protected_output(core, protector, out);
    if (!out.empty()) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_nothrow);
      if (ec) co_return make_error(Errc::io, "handshake write: " + ec.message());
    }
    if (core.done()) co_return Status{};
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(in), use_nothrow);
    if (ec == asio::error::eof)
      co_return make_error(Errc::closed, "remote closed during handshake");
    if (ec) co_return make_error(Errc::io, "handshake read: " + ec.message());
    auto plain = unprotect(protector, {in.data(), n});
    if (!plain) co_return plain.error();
    AGORA_CO_TRY(core.on_bytes(*plain));
  }
}

// Runs multistream-select for the muxer over the already encrypted channel.
template <class Core>
awaitable<Status> drive_encrypted(asio::ip::tcp::socket& socket, noise::NoiseTransport& noise,
                                  Core& core, Bytes pending_plain, pnet::PnetProtector* protector) {
  Bytes out, cipher;
  Bytes in(kHandshakeReadBytes);
  if (!pending_plain.empty()) AGORA_CO_TRY(core.on_bytes(pending_plain));
  for (;;) {
    out.clear();
    core.take_output(out);
    if (!out.empty()) {
      cipher.clear();
      noise.encrypt(out, cipher);
      if (protector) protector->encrypt(cipher);
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(cipher), use_nothrow);
      if (ec) co_return make_error(Errc::io, "muxer negotiation write: " + ec.message());
    }
    if (core.done()) co_return Status{};
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(in), use_nothrow);
    if (ec == asio::error::eof)
      co_return make_error(Errc::closed, "remote closed during muxer negotiation");
    if (ec) co_return make_error(Errc::io, "muxer negotiation read: " + ec.message());
    auto received = unprotect(protector, {in.data(), n});
    if (!received) co_return received.error();
    Bytes plain;
    AGORA_CO_TRY(noise.decrypt(*received, plain));
    AGORA_CO_TRY(core.on_bytes(plain));
  }
}

// The first bytes a dialled address sends back decide whether it speaks libp2p at all: an HTTP
// server or a closed port is told apart from a libp2p peer that refused us.
Error not_a_libp2p_peer(const Error& e) {
  if (e.code != Errc::protocol && e.code != Errc::invalid_input && e.code != Errc::truncated &&
      e.code != Errc::too_large)
    return e;
  return make_error(
      Errc::protocol,
      "the address did not answer as a libp2p peer (multistream-select: " + e.message + ")");
}

template <class Core>
awaitable<Result<Bytes>> negotiate_plain(asio::ip::tcp::socket& socket, Core core,
                                         pnet::PnetProtector* protector) {
  if (Status st = co_await drive_plain(socket, core, protector); !st) co_return st.error();
  co_return core.take_rest();
}

// A peer that closes (or resets) before anything it sent decrypted with our key was, in all
// likelihood, refused by its own protector or multistream: it is not in our network.
Error refine_pnet_error(Error e, const pnet::PnetProtector* protector) {
  if (!protector || is_private_network_refusal(e) || protector->prefix_verified()) return e;
  if (e.code != Errc::closed && e.code != Errc::io) return e;
  return make_error(Errc::crypto, std::string(pnet::kNotInNetwork) +
                                      ": it closed the connection before sending a byte "
                                      "encrypted with our swarm key (" +
                                      e.message + ")");
}

}  // namespace

bool is_private_network_refusal(const Error& error) {
  return error.code == Errc::crypto && error.message.starts_with(pnet::kNotInNetwork);
}

awaitable<Result<Upgraded>> upgrade_connection(asio::ip::tcp::socket& socket,
                                               const crypto::Ed25519PrivateKey& identity,
                                               UpgradeOptions options) {
  // 0. The private network's protector: our nonce is drawn here (the core draws no entropy).
  std::unique_ptr<pnet::PnetProtector> owned_protector;
  if (options.psk) {
    crypto::XSalsa20Nonce nonce;
    crypto::random_bytes(nonce.data(), nonce.size());
    owned_protector = std::make_unique<pnet::PnetProtector>(*options.psk, nonce);
  }
  pnet::PnetProtector* protector = owned_protector.get();

  // 1. Security protocol.
  // Named vectors, not braced lists inside co_await: GCC 12 miscompiles initializer_list
  // temporaries in coroutine frames ("array used as initializer").
  const std::vector<std::string> security = {kNoiseProtocol};
  const std::vector<std::string> muxers = {kYamuxProtocol};
  Bytes rest;
  if (options.initiator) {
    auto r = co_await negotiate_plain(socket, multistream::MultistreamDialer(security), protector);
    if (!r) {
      if (protector) co_return refine_pnet_error(r.error(), protector);
      co_return not_a_libp2p_peer(r.error());
    }
    rest = std::move(*r);
  } else {
    auto r =
        co_await negotiate_plain(socket, multistream::MultistreamListener(security), protector);
    if (!r) co_return refine_pnet_error(r.error(), protector);
    rest = std::move(*r);
  }

  // 2. Noise XX.
  noise::NoiseConfig config;
  if (options.inline_muxer) config.muxers = muxers;
  config.expected_peer = options.expected_peer;
  // The runtime draws the handshake's keys: the Noise core has no entropy of its own.
  const noise::NoiseKeys keys{crypto::X25519KeyPair::generate(), crypto::X25519KeyPair::generate()};
  noise::NoiseHandshake handshake(options.initiator, identity, std::move(config), keys);
  if (!rest.empty()) {
    if (Status st = handshake.on_bytes(rest); !st) co_return st.error();
  }
  if (Status st = co_await drive_plain(socket, handshake, protector); !st) co_return st.error();
  auto outcome = handshake.finish();
  if (!outcome) co_return outcome.error();

  Upgraded up;
  up.noise = std::move(outcome->transport);
  up.peer = outcome->remote_peer;
  up.protector = std::move(owned_protector);
  Bytes plain;
  if (!outcome->leftover.empty()) {
    if (Status st = up.noise->decrypt(outcome->leftover, plain); !st) co_return st.error();
  }

  // 3. Muxer.
  if (outcome->muxer) {
    if (*outcome->muxer != kYamuxProtocol)
      co_return make_error(Errc::unsupported, "inlined muxer " + *outcome->muxer);
    up.muxer = *outcome->muxer;
    up.muxer_inlined = true;
    up.plaintext_rest = std::move(plain);
    co_return up;
  }
  if (options.initiator) {
    multistream::MultistreamDialer dialer(muxers);
    if (Status st =
            co_await drive_encrypted(socket, *up.noise, dialer, std::move(plain), protector);
        !st)
      co_return st.error();
    up.muxer = dialer.selected();
    up.plaintext_rest = dialer.take_rest();
  } else {
    multistream::MultistreamListener listener(muxers);
    if (Status st =
            co_await drive_encrypted(socket, *up.noise, listener, std::move(plain), protector);
        !st)
      co_return st.error();
    up.muxer = listener.selected();
    up.plaintext_rest = listener.take_rest();
  }
  co_return up;
}

}  // namespace agora::rt
