#include "crypto/x25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/random.h"

namespace agora::crypto {

X25519KeyPair X25519KeyPair::generate() {
  X25519Key private_key;
  random_bytes(private_key.data(), private_key.size());
  X25519KeyPair pair = from_private(private_key);
  OPENSSL_cleanse(private_key.data(), private_key.size());
  return pair;
}

X25519KeyPair X25519KeyPair::from_private(const X25519Key& private_key) {
  X25519KeyPair pair;
  pair.private_key = private_key;
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, private_key.data(),
                                                   private_key.size());
  size_t len = pair.public_key.size();
  // Any 32 bytes are a valid X25519 private key (clamped inside): only allocation can fail.
  if (pkey == nullptr || EVP_PKEY_get_raw_public_key(pkey, pair.public_key.data(), &len) != 1) {
    std::abort();
  }
  EVP_PKEY_free(pkey);
  return pair;
}

Result<X25519Key> x25519(const X25519Key& private_key, const X25519Key& peer_public) {
  EVP_PKEY* ours = EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, private_key.data(),
                                                   private_key.size());
  EVP_PKEY* theirs = EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer_public.data(),
                                                    peer_public.size());
  EVP_PKEY_CTX* ctx = ours ? EVP_PKEY_CTX_new_from_pkey(nullptr, ours, nullptr) : nullptr;
  X25519Key shared{};
  size_t len = shared.size();
  // OpenSSL itself refuses an all-zero result; the explicit check below keeps that a documented
  // property of this function rather than of the library version.
  bool ok = ctx != nullptr && theirs != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
            EVP_PKEY_derive(ctx, shared.data(), &len) == 1 && len == shared.size();
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(theirs);
  EVP_PKEY_free(ours);
  if (ok) {
    uint8_t any = 0;
    for (uint8_t b : shared) any |= b;
    ok = any != 0;
  }
  if (!ok) {
    OPENSSL_cleanse(shared.data(), shared.size());
    return make_error(Errc::crypto, "x25519: low-order peer public key");
  }
  return shared;
}

}  // namespace agora::crypto
