#include "crypto/ed25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/random.h"

namespace agora::crypto {
namespace {

EVP_PKEY* pkey_from_seed(const Ed25519Seed& seed) {
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size());
  if (pkey == nullptr) std::abort();  // any 32 bytes are a valid seed: only allocation fails
  return pkey;
}

}  // namespace

Ed25519PrivateKey::Ed25519PrivateKey(const Ed25519Seed& seed) : seed_(seed) {
  auto* pkey = pkey_from_seed(seed);
  size_t len = pub_.size();
  if (EVP_PKEY_get_raw_public_key(pkey, pub_.data(), &len) != 1 || len != pub_.size()) {
    std::abort();
  }
  pkey_ = pkey;
}

Ed25519PrivateKey Ed25519PrivateKey::generate() {
  Ed25519Seed seed;
  random_bytes(seed.data(), seed.size());
  Ed25519PrivateKey key(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Ed25519PrivateKey Ed25519PrivateKey::from_seed(const Ed25519Seed& seed) {
  return Ed25519PrivateKey(seed);
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_libp2p_bytes(BytesView data) {
  if (data.size() != 64 && data.size() != 96) {
    return make_error(Errc::invalid_input, "ed25519 private key must be 64 or 96 bytes");
  }
  Ed25519Seed seed;
  std::memcpy(seed.data(), data.data(), seed.size());
  Ed25519PrivateKey key(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (CRYPTO_memcmp(key.pub_.data(), data.data() + 32, 32) != 0) {
    return make_error(Errc::crypto, "ed25519 private key: public key does not match seed");
  }
  if (data.size() == 96 && CRYPTO_memcmp(data.data() + 32, data.data() + 64, 32) != 0) {
    return make_error(Errc::invalid_input, "ed25519 legacy private key: public key copies differ");
  }
  return key;
}

Ed25519PrivateKey::~Ed25519PrivateKey() {
  OPENSSL_cleanse(seed_.data(), seed_.size());
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

Ed25519PrivateKey::Ed25519PrivateKey(const Ed25519PrivateKey& other)
    : seed_(other.seed_), pub_(other.pub_) {
  auto* pkey = static_cast<EVP_PKEY*>(other.pkey_);
  if (EVP_PKEY_up_ref(pkey) != 1) std::abort();
  pkey_ = pkey;
}

Ed25519PrivateKey& Ed25519PrivateKey::operator=(const Ed25519PrivateKey& other) {
  if (this == &other) return *this;
  auto* pkey = static_cast<EVP_PKEY*>(other.pkey_);
  if (EVP_PKEY_up_ref(pkey) != 1) std::abort();
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
  pkey_ = pkey;
  seed_ = other.seed_;
  pub_ = other.pub_;
  return *this;
}

Bytes Ed25519PrivateKey::to_libp2p_bytes() const {
  Bytes out(seed_.begin(), seed_.end());
  out.insert(out.end(), pub_.begin(), pub_.end());
  return out;
}

Ed25519Signature Ed25519PrivateKey::sign(BytesView message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) std::abort();
  Ed25519Signature sig;
  size_t sig_len = sig.size();
  if (EVP_DigestSignInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_),
                            nullptr) != 1 ||
      EVP_DigestSign(ctx, sig.data(), &sig_len, message.data(), message.size()) != 1 ||
      sig_len != sig.size()) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  return sig;
}

bool ed25519_verify(const Ed25519PublicKey& key, BytesView message, BytesView signature) {
  if (signature.size() != 64) return false;
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, key.data(), key.size());
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, pkey, nullptr) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(),
                             message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

}  // namespace agora::crypto
