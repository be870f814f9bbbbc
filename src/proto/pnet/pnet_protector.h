// libp2p private networks (libp2p/specs pnet/Private-Networks-PSK-V1.md), sans-I/O: the
// protector that sits on the raw connection below multistream-select. Each side first sends a
// random 24-byte nonce; after it, every byte each way is XORed with the XSalsa20 keystream of
// the shared key and the sender's nonce (one cipher state per direction). It authenticates
// nothing itself: a peer with another key (or none) makes the bytes that follow garbage.
//
// Refusing such peers at once: every libp2p peer's first bytes after its nonce are the
// multistream header. The protector checks the first decrypted bytes against that prefix and
// fails with Errc::crypto ("the peer is not in our private network") on the first byte that
// differs, instead of letting multistream wait for a length it read from garbage until the
// handshake's deadline. A peer that sent the plain multistream header where the nonce belongs
// runs without a key and is named as such.
//
// Bounds: fixed state (two cipher states, a 24-byte nonce buffer); nothing a peer sends grows it.
// Runs on one thread; no I/O, no clock, no entropy (the runtime draws our nonce).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/xsalsa20.h"

namespace agora::pnet {

inline constexpr size_t kPskBytes = crypto::kXSalsa20KeyBytes;
inline constexpr size_t kNonceBytes = crypto::kXSalsa20NonceBytes;
// "/multistream/1.0.0\n" with its uvarint length: the first message of every libp2p peer.
inline constexpr std::string_view kMultistreamHeader = "\x13/multistream/1.0.0\n";
// How a refusal's message starts (the runtime names the cause from it: swarm events, metrics).
inline constexpr std::string_view kNotInNetwork = "the peer is not in our private network";

struct PreSharedKey {
  std::array<uint8_t, kPskBytes> bytes{};
  bool operator==(const PreSharedKey&) const = default;
};

// The key's fingerprint as go-libp2p, kubo and rust-libp2p print it (32 hex characters): SHAKE128
// over 64 bytes of Salsa20 keystream (key = the PSK, nonce = "finprint"), cut to 16 bytes. It
// names the network without revealing the key.
std::string fingerprint(const PreSharedKey& psk);

struct PnetConfig {
  // What the peer's first decrypted bytes must begin with; empty: no check.
  std::string expected_prefix{kMultistreamHeader};
};

class PnetProtector {
 public:
  PnetProtector(const PreSharedKey& psk, const crypto::XSalsa20Nonce& local_nonce,
                PnetConfig config = {});

  // Appends our nonce, once: it goes before every other byte we send.
  void take_output(Bytes& out);
  bool nonce_sent() const { return nonce_sent_; }
  // Received bytes, decrypted in place. Returns the part of `in` that is now plaintext (the
  // remote's nonce is consumed first). Errc::crypto when the peer is not in our network; sticky.
  Result<std::span<uint8_t>> on_bytes(std::span<uint8_t> in);
  // Whether the remote's nonce is in (received bytes after it are plaintext from here on).
  bool remote_ready() const { return remote_.has_value(); }
  // Whether the peer's first bytes decrypted to the expected prefix: it holds our key.
  bool prefix_verified() const {
    return remote_ && prefix_checked_ >= config_.expected_prefix.size();
  }
  // Our outgoing bytes, encrypted in place. Call take_output() first.
  void encrypt(uint8_t* data, size_t n) { local_.apply(data, n); }
  void encrypt(Bytes& data) { local_.apply(data); }

 private:
  Status check_prefix(std::span<const uint8_t> plain);
  Status check_nonce();

  PreSharedKey psk_;
  PnetConfig config_;
  crypto::XSalsa20Nonce local_nonce_;
  crypto::XSalsa20Stream local_;
  std::optional<crypto::XSalsa20Stream> remote_;
  crypto::XSalsa20Nonce remote_nonce_{};
  size_t remote_nonce_bytes_ = 0;
  size_t prefix_checked_ = 0;
  bool nonce_sent_ = false;
  std::optional<Error> failed_;
};

}  // namespace agora::pnet
