// XSalsa20 as a stream over libsodium: a keystream position that survives calls, so a byte stream
// cut into chunks of any size is XORed exactly as libsodium's one-shot call would XOR it whole.
// Used by the libp2p private-network protector (proto/pnet), one instance per direction; also the
// plain Salsa20 keystream the swarm key's fingerprint is made from.
//
// No authentication: XSalsa20 only hides bytes. Holds the key and a 64-byte block of keystream;
// no allocation, no I/O.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace agora::crypto {

inline constexpr size_t kXSalsa20KeyBytes = 32;
inline constexpr size_t kXSalsa20NonceBytes = 24;
using XSalsa20Key = std::array<uint8_t, kXSalsa20KeyBytes>;
using XSalsa20Nonce = std::array<uint8_t, kXSalsa20NonceBytes>;

class XSalsa20Stream {
 public:
  XSalsa20Stream(const XSalsa20Key& key, const XSalsa20Nonce& nonce);
  ~XSalsa20Stream();  // wipes the key and the buffered keystream
  XSalsa20Stream(const XSalsa20Stream&) = delete;
  XSalsa20Stream& operator=(const XSalsa20Stream&) = delete;

  // XORs the next `n` bytes of keystream into `data` (in place; encrypts and decrypts alike).
  void apply(uint8_t* data, size_t n);
  void apply(Bytes& data) { apply(data.data(), data.size()); }
  // Bytes of keystream used so far.
  uint64_t position() const { return position_; }

 private:
  static constexpr size_t kBlockBytes = 64;
  XSalsa20Key key_;
  XSalsa20Nonce nonce_;
  uint64_t position_ = 0;
  std::array<uint8_t, kBlockBytes> block_{};  // keystream of the block `position_` is inside
};

// One-shot: `n` bytes of data XORed with XSalsa20(key, nonce) from keystream byte 0.
void xsalsa20_xor(uint8_t* data, size_t n, const XSalsa20Key& key, const XSalsa20Nonce& nonce);

// `n` bytes of Salsa20 keystream (8-byte nonce), block counter 0.
void salsa20_keystream(uint8_t* out, size_t n, const XSalsa20Key& key,
                       const std::array<uint8_t, 8>& nonce);

}  // namespace agora::crypto
