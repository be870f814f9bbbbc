#include "crypto/shake128.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace agora::crypto {

Bytes shake128(BytesView data, size_t out_bytes) {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHAKE128", nullptr);
  if (md == nullptr) std::abort();  // libcrypto without SHAKE128 cannot run this program
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Bytes out(out_bytes);
  bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
            EVP_DigestFinalXOF(ctx, out.data(), out.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // only fails on allocation failure or a broken libcrypto
  return out;
}

}  // namespace agora::crypto
