#include "crypto/chacha20poly1305.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdlib>
#include <utility>

#include "crypto/chacha20poly1305_raw.h"

namespace agora::crypto {
namespace {

using detail::kAeadNonceBytes;

// Fetched once: implicit fetch per message costs ~2x (notes §5).
EVP_CIPHER* chacha_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  if (cipher == nullptr) std::abort();  // libcrypto without ChaCha20-Poly1305 cannot run agora
  return cipher;
}

void check(int ok) {
  if (ok != 1) std::abort();  // only fails on allocation failure or misuse of the EVP API
}

EVP_CIPHER_CTX* new_keyed_ctx(const AeadKey& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) std::abort();
  check(EVP_CipherInit_ex2(ctx, chacha_cipher(), key.data(), nullptr, encrypt ? 1 : 0, nullptr));
  return ctx;
}

void noise_nonce(uint64_t n, uint8_t (&iv)[kAeadNonceBytes]) {
  iv[0] = iv[1] = iv[2] = iv[3] = 0;
  for (int i = 0; i < 8; ++i) iv[4 + i] = uint8_t(n >> (8 * i));  // little-endian counter
}

// EVP takes int lengths; messages here are far smaller, but stay correct for any size.
template <class Fn>
void in_int_chunks(size_t n, Fn&& fn) {
  size_t done = 0;
  while (done < n) {
    size_t chunk = std::min(n - done, size_t(INT_MAX / 2));
    fn(done, int(chunk));
    done += chunk;
  }
}

// The key schedule stays in `ctx`; only the IV changes per message.
void seal_with(EVP_CIPHER_CTX* ctx, const uint8_t (&iv)[kAeadNonceBytes], BytesView ad,
               BytesView plaintext, uint8_t* out) {
  check(EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr));
  int len = 0;
  in_int_chunks(ad.size(), [&](size_t off, int n) {
    check(EVP_EncryptUpdate(ctx, nullptr, &len, ad.data() + off, n));
  });
  in_int_chunks(plaintext.size(), [&](size_t off, int n) {
    check(EVP_EncryptUpdate(ctx, out + off, &len, plaintext.data() + off, n));
  });
  check(EVP_EncryptFinal_ex(ctx, out + plaintext.size(), &len));
  check(
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(kAeadTagBytes), out + plaintext.size()));
}

Status open_with(EVP_CIPHER_CTX* ctx, const uint8_t (&iv)[kAeadNonceBytes], BytesView ad,
                 BytesView ciphertext, uint8_t* out) {
  if (ciphertext.size() < kAeadTagBytes) {
    return make_error(Errc::crypto, "aead: ciphertext shorter than the tag");
  }
  const size_t body = ciphertext.size() - kAeadTagBytes;
  check(EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr));
  // The tag is copied first so that decrypting in place (out == ciphertext) cannot clobber it.
  uint8_t tag[kAeadTagBytes];
  std::memcpy(tag, ciphertext.data() + body, kAeadTagBytes);
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(kAeadTagBytes), tag));
  int len = 0;
  in_int_chunks(ad.size(), [&](size_t off, int n) {
    check(EVP_DecryptUpdate(ctx, nullptr, &len, ad.data() + off, n));
  });
  in_int_chunks(body, [&](size_t off, int n) {
    check(EVP_DecryptUpdate(ctx, out + off, &len, ciphertext.data() + off, n));
  });
  if (EVP_DecryptFinal_ex(ctx, out + body, &len) != 1) {
    OPENSSL_cleanse(out, body);  // never hand out unauthenticated plaintext
    return make_error(Errc::crypto, "aead: authentication failed");
  }
  return {};
}

}  // namespace

ChaChaPoly::ChaChaPoly(const AeadKey& key)
    : enc_(new_keyed_ctx(key, true)), dec_(new_keyed_ctx(key, false)) {}

ChaChaPoly::~ChaChaPoly() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(enc_));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(dec_));
}

ChaChaPoly::ChaChaPoly(ChaChaPoly&& other) noexcept
    : enc_(std::exchange(other.enc_, nullptr)), dec_(std::exchange(other.dec_, nullptr)) {}

ChaChaPoly& ChaChaPoly::operator=(ChaChaPoly&& other) noexcept {
  if (this != &other) {
    std::swap(enc_, other.enc_);
    std::swap(dec_, other.dec_);
  }
  return *this;
}

void ChaChaPoly::seal(uint64_t nonce, BytesView ad, BytesView plaintext, uint8_t* out) {
  uint8_t iv[kAeadNonceBytes];
  noise_nonce(nonce, iv);
  seal_with(static_cast<EVP_CIPHER_CTX*>(enc_), iv, ad, plaintext, out);
}

Status ChaChaPoly::open(uint64_t nonce, BytesView ad, BytesView ciphertext, uint8_t* out) {
  uint8_t iv[kAeadNonceBytes];
  noise_nonce(nonce, iv);
  return open_with(static_cast<EVP_CIPHER_CTX*>(dec_), iv, ad, ciphertext, out);
}

namespace detail {

void chacha20poly1305_seal_raw(const AeadKey& key, const uint8_t (&nonce)[kAeadNonceBytes],
                               BytesView ad, BytesView plaintext, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = new_keyed_ctx(key, true);
  seal_with(ctx, nonce, ad, plaintext, out);
  EVP_CIPHER_CTX_free(ctx);
}

Status chacha20poly1305_open_raw(const AeadKey& key, const uint8_t (&nonce)[kAeadNonceBytes],
                                 BytesView ad, BytesView ciphertext, uint8_t* out) {
  EVP_CIPHER_CTX* ctx = new_keyed_ctx(key, false);
  Status st = open_with(ctx, nonce, ad, ciphertext, out);
  EVP_CIPHER_CTX_free(ctx);
  return st;
}

}  // namespace detail
}  // namespace agora::crypto
