#include "proto/noise/noise_symmetric_state.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace agora::noise {

void CipherState::initialize_key(const crypto::AeadKey& key) {
  aead_.emplace(key);
  n_ = 0;
}

Status CipherState::encrypt_with_ad(BytesView ad, BytesView plaintext, Bytes& out) {
  if (!aead_) {
    append(out, plaintext);
    return {};
  }
  if (n_ == kNonceMax) return make_error(Errc::limit, "noise: send nonce exhausted");
  const size_t old = out.size();
  out.resize(old + plaintext.size() + crypto::kAeadTagBytes);
  aead_->seal(n_, ad, plaintext, out.data() + old);
  ++n_;
  return {};
}

Status CipherState::decrypt_with_ad(BytesView ad, BytesView ciphertext, Bytes& out) {
  if (!aead_) {
    append(out, ciphertext);
    return {};
  }
  if (n_ == kNonceMax) return make_error(Errc::limit, "noise: receive nonce exhausted");
  if (ciphertext.size() < crypto::kAeadTagBytes) {
    return make_error(Errc::crypto, "noise: ciphertext shorter than the tag");
  }
  const size_t old = out.size();
  out.resize(old + ciphertext.size() - crypto::kAeadTagBytes);
  Status st = aead_->open(n_, ad, ciphertext, out.data() + old);
  if (!st) {
    out.resize(old);
    return st;
  }
  ++n_;
  return {};
}

std::pair<crypto::ChaChaPoly, uint64_t> CipherState::take() && { return {std::move(*aead_), n_}; }

SymmetricState::SymmetricState(std::string_view protocol_name) {
  if (protocol_name.size() <= h_.size()) {
    std::copy(protocol_name.begin(), protocol_name.end(), h_.begin());
  } else {
    h_ = crypto::sha256(as_bytes(protocol_name));
  }
  ck_ = h_;
}

void SymmetricState::mix_hash(BytesView data) {
  crypto::Sha256 hash;
  hash.update(h_);
  hash.update(data);
  h_ = hash.finish();
}

void SymmetricState::mix_key(BytesView input_key_material) {
  crypto::Sha256Digest next_ck, temp_k;
  crypto::hkdf_sha256(ck_, input_key_material, next_ck, temp_k);
  ck_ = next_ck;
  cipher_.initialize_key(temp_k);
  OPENSSL_cleanse(temp_k.data(), temp_k.size());
}

Status SymmetricState::encrypt_and_hash(BytesView plaintext, Bytes& out) {
  const size_t old = out.size();
  AGORA_TRY(cipher_.encrypt_with_ad(h_, plaintext, out));
  mix_hash(BytesView(out).subspan(old));
  return {};
}

Status SymmetricState::decrypt_and_hash(BytesView ciphertext, Bytes& out) {
  AGORA_TRY(cipher_.decrypt_with_ad(h_, ciphertext, out));
  mix_hash(ciphertext);
  return {};
}

std::pair<CipherState, CipherState> SymmetricState::split() const {
  crypto::Sha256Digest k1, k2;
  crypto::hkdf_sha256(ck_, {}, k1, k2);
  std::pair<CipherState, CipherState> out{CipherState(k1), CipherState(k2)};
  OPENSSL_cleanse(k1.data(), k1.size());
  OPENSSL_cleanse(k2.data(), k2.size());
  return out;
}

}  // namespace agora::noise
