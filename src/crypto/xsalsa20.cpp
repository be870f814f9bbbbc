#include "crypto/xsalsa20.h"

#include <sodium.h>

#include <cstdlib>

namespace agora::crypto {
namespace {

// libsodium must be initialised once before use (it picks its implementations then).
void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // only fails when the library cannot run at all
}

}  // namespace

XSalsa20Stream::XSalsa20Stream(const XSalsa20Key& key, const XSalsa20Nonce& nonce)
    : key_(key), nonce_(nonce) {
  ensure_sodium();
}

XSalsa20Stream::~XSalsa20Stream() {
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(block_.data(), block_.size());
}

void XSalsa20Stream::apply(uint8_t* data, size_t n) {
  // 1. The rest of a block a previous call started: its keystream is buffered.
  size_t offset = position_ % kBlockBytes;
  if (offset != 0 && n > 0) {
    size_t take = std::min(n, kBlockBytes - offset);
    for (size_t i = 0; i < take; ++i) data[i] ^= block_[offset + i];
    data += take;
    n -= take;
    position_ += take;
  }
  // 2. Whole blocks, straight through libsodium at the block counter.
  size_t whole = n - n % kBlockBytes;
  if (whole > 0) {
    crypto_stream_xsalsa20_xor_ic(data, data, whole, nonce_.data(), position_ / kBlockBytes,
                                  key_.data());
    data += whole;
    n -= whole;
    position_ += whole;
  }
  // 3. A partial block: keep its keystream for the next call.
  if (n > 0) {
    block_.fill(0);
    crypto_stream_xsalsa20_xor_ic(block_.data(), block_.data(), kBlockBytes, nonce_.data(),
                                  position_ / kBlockBytes, key_.data());
    for (size_t i = 0; i < n; ++i) data[i] ^= block_[i];
    position_ += n;
  }
}

void xsalsa20_xor(uint8_t* data, size_t n, const XSalsa20Key& key, const XSalsa20Nonce& nonce) {
  ensure_sodium();
  crypto_stream_xsalsa20_xor(data, data, n, nonce.data(), key.data());
}

void salsa20_keystream(uint8_t* out, size_t n, const XSalsa20Key& key,
                       const std::array<uint8_t, 8>& nonce) {
  ensure_sodium();
  crypto_stream_salsa20(out, n, nonce.data(), key.data());
}

}  // namespace agora::crypto
