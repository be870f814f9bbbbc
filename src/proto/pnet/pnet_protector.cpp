#include "proto/pnet/pnet_protector.h"

#include <algorithm>
#include <cstring>

#include "crypto/shake128.h"

namespace agora::pnet {

std::string fingerprint(const PreSharedKey& psk) {
  constexpr std::array<uint8_t, 8> kNonce = {'f', 'i', 'n', 'p', 'r', 'i', 'n', 't'};
  std::array<uint8_t, 64> keystream{};
  crypto::salsa20_keystream(keystream.data(), keystream.size(), psk.bytes, kNonce);
  return to_hex(crypto::shake128(keystream, 16));
}

PnetProtector::PnetProtector(const PreSharedKey& psk, const crypto::XSalsa20Nonce& local_nonce,
                             PnetConfig config)
    : psk_(psk),
      config_(std::move(config)),
      local_nonce_(local_nonce),
      local_(psk.bytes, local_nonce) {}

void PnetProtector::take_output(Bytes& out) {
  if (nonce_sent_) return;
  nonce_sent_ = true;
  out.insert(out.end(), local_nonce_.begin(), local_nonce_.end());
}

Result<std::span<uint8_t>> PnetProtector::on_bytes(std::span<uint8_t> in) {
  if (failed_) return *failed_;
  if (!remote_) {
    size_t take = std::min(in.size(), kNonceBytes - remote_nonce_bytes_);
    std::memcpy(remote_nonce_.data() + remote_nonce_bytes_, in.data(), take);
    remote_nonce_bytes_ += take;
    in = in.subspan(take);
    if (Status st = check_nonce(); !st) {
      failed_ = st.error();
      return *failed_;
    }
    if (remote_nonce_bytes_ < kNonceBytes) return in;  // empty
    remote_.emplace(psk_.bytes, remote_nonce_);
  }
  remote_->apply(in.data(), in.size());
  if (Status st = check_prefix(in); !st) {
    failed_ = st.error();
    return *failed_;
  }
  return in;
}

// A peer without a key sends the multistream header where the nonce belongs: say so, rather
// than decrypting what follows into garbage.
Status PnetProtector::check_nonce() {
  const std::string_view header = kMultistreamHeader;
  if (remote_nonce_bytes_ < header.size()) return {};
  if (std::memcmp(remote_nonce_.data(), header.data(), header.size()) != 0) return {};
  return make_error(Errc::crypto, std::string(kNotInNetwork) +
                                      ": it speaks plain multistream-select (no swarm key)");
}

Status PnetProtector::check_prefix(std::span<const uint8_t> plain) {
  const std::string& want = config_.expected_prefix;
  size_t n = std::min(plain.size(), want.size() - std::min(want.size(), prefix_checked_));
  if (n == 0) return {};
  if (std::memcmp(plain.data(), want.data() + prefix_checked_, n) != 0)
    return make_error(Errc::crypto,
                      std::string(kNotInNetwork) +
                          ": its bytes do not decrypt with our swarm key (another key, or none)");
  prefix_checked_ += n;
  return {};
}

}  // namespace agora::pnet
