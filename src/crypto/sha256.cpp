#include "crypto/sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>

namespace agora::crypto {
namespace {

// Fetched once: implicit fetch (EVP_sha256()) costs ~2x at 16 KiB records (notes §5).
EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();  // libcrypto without SHA-256 cannot run this program
  return md;
}

EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) std::abort();
  return mac;
}

// One context per thread for one-shot hashing: avoids an allocation per call.
struct ThreadDigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadDigestCtx() { EVP_MD_CTX_free(ctx); }
};

void check(int ok) {
  if (ok != 1) std::abort();  // only fails on allocation failure or a broken libcrypto
}

}  // namespace

Sha256Digest sha256(BytesView data) {
  thread_local ThreadDigestCtx t;
  Sha256Digest out;
  check(EVP_DigestInit_ex2(t.ctx, sha256_md(), nullptr));
  check(EVP_DigestUpdate(t.ctx, data.data(), data.size()));
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(t.ctx, out.data(), &len));
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  check(EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr));
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(BytesView data) {
  check(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()));
}

Sha256Digest Sha256::finish() {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  Sha256Digest out;
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx, out.data(), &len));
  check(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr));
  return out;
}

namespace {

// HMAC over the concatenation of up to two parts (HKDF needs `prev || counter`).
Sha256Digest hmac_parts(BytesView key, BytesView part1, BytesView part2) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_mac());
  if (ctx == nullptr) std::abort();
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL rejects a null key pointer even for length 0.
  static const uint8_t empty_key = 0;
  const uint8_t* key_ptr = key.empty() ? &empty_key : key.data();
  check(EVP_MAC_init(ctx, key_ptr, key.size(), params));
  if (!part1.empty()) check(EVP_MAC_update(ctx, part1.data(), part1.size()));
  if (!part2.empty()) check(EVP_MAC_update(ctx, part2.data(), part2.size()));
  Sha256Digest out;
  size_t len = 0;
  check(EVP_MAC_final(ctx, out.data(), &len, out.size()));
  EVP_MAC_CTX_free(ctx);
  return out;
}

}  // namespace

Sha256Digest hmac_sha256(BytesView key, BytesView data) { return hmac_parts(key, data, {}); }

namespace {

// Noise HKDF: temp = HMAC(ck, ikm); out_i = HMAC(temp, out_{i-1} || i).
void hkdf_outputs(BytesView chaining_key, BytesView input_key_material, Sha256Digest* outs[],
                  int count) {
  Sha256Digest temp_key = hmac_sha256(chaining_key, input_key_material);
  BytesView prev;
  for (int i = 0; i < count; ++i) {
    const uint8_t counter = uint8_t(i + 1);
    *outs[i] = hmac_parts(temp_key, prev, BytesView(&counter, 1));
    prev = *outs[i];
  }
  OPENSSL_cleanse(temp_key.data(), temp_key.size());
}

}  // namespace

void hkdf_sha256(BytesView chaining_key, BytesView input_key_material, Sha256Digest& out1,
                 Sha256Digest& out2) {
  Sha256Digest* outs[] = {&out1, &out2};
  hkdf_outputs(chaining_key, input_key_material, outs, 2);
}

void hkdf_sha256(BytesView chaining_key, BytesView input_key_material, Sha256Digest& out1,
                 Sha256Digest& out2, Sha256Digest& out3) {
  Sha256Digest* outs[] = {&out1, &out2, &out3};
  hkdf_outputs(chaining_key, input_key_material, outs, 3);
}

}  // namespace agora::crypto
