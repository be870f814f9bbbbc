#include "proto/noise/noise_xx_state.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace agora::noise {
namespace {

inline constexpr size_t kEncryptedKeyBytes = kDhBytes + crypto::kAeadTagBytes;

Error too_short(int index) {
  return make_error(Errc::protocol,
                    "noise: handshake message " + std::to_string(index + 1) + " too short");
}

crypto::X25519Key key_at(BytesView bytes) {
  crypto::X25519Key key;
  std::copy_n(bytes.begin(), key.size(), key.begin());
  return key;
}

}  // namespace

XxHandshakeState::XxHandshakeState(bool initiator, const crypto::X25519KeyPair& static_key,
                                   BytesView prologue, const crypto::X25519KeyPair& ephemeral)
    : initiator_(initiator), symmetric_(kNoiseXxProtocolName), s_(static_key), e_(ephemeral) {
  symmetric_.mix_hash(prologue);
}

Status XxHandshakeState::mix_dh(const crypto::X25519Key& private_key,
                                const crypto::X25519Key& public_key) {
  AGORA_ASSIGN(crypto::X25519Key shared, crypto::x25519(private_key, public_key));
  symmetric_.mix_key(shared);
  OPENSSL_cleanse(shared.data(), shared.size());
  return {};
}

Status XxHandshakeState::write_message(BytesView payload, Bytes& out) {
  if (!our_turn()) return make_error(Errc::internal, "noise: not our turn to write");
  switch (index_) {
    case 0: {  // -> e
      const auto& e = e_;
      append(out, e.public_key);
      symmetric_.mix_hash(e.public_key);
      break;
    }
    case 1: {  // <- e, ee, s, es
      const auto& e = e_;
      append(out, e.public_key);
      symmetric_.mix_hash(e.public_key);
      AGORA_TRY(mix_dh(e.private_key, re_));                       // ee
      AGORA_TRY(symmetric_.encrypt_and_hash(s_.public_key, out));  // s
      AGORA_TRY(mix_dh(s_.private_key, re_));                      // es (responder side)
      break;
    }
    case 2: {                                                      // -> s, se
      AGORA_TRY(symmetric_.encrypt_and_hash(s_.public_key, out));  // s
      AGORA_TRY(mix_dh(s_.private_key, re_));                      // se (initiator side)
      break;
    }
  }
  AGORA_TRY(symmetric_.encrypt_and_hash(payload, out));
  ++index_;
  return {};
}

Status XxHandshakeState::read_message(BytesView message, Bytes& payload_out) {
  if (complete() || our_turn()) return make_error(Errc::protocol, "noise: unexpected message");
  BytesView rest = message;
  Bytes scratch;
  switch (index_) {
    case 0: {  // -> e
      if (rest.size() < kDhBytes) return too_short(index_);
      re_ = key_at(rest);
      symmetric_.mix_hash(rest.first(kDhBytes));
      rest = rest.subspan(kDhBytes);
      break;
    }
    case 1: {  // <- e, ee, s, es
      if (rest.size() < kDhBytes + kEncryptedKeyBytes + crypto::kAeadTagBytes) {
        return too_short(index_);
      }
      re_ = key_at(rest);
      symmetric_.mix_hash(rest.first(kDhBytes));
      rest = rest.subspan(kDhBytes);
      AGORA_TRY(mix_dh(e_.private_key, re_));                                           // ee
      AGORA_TRY(symmetric_.decrypt_and_hash(rest.first(kEncryptedKeyBytes), scratch));  // s
      rs_ = key_at(scratch);
      rest = rest.subspan(kEncryptedKeyBytes);
      AGORA_TRY(mix_dh(e_.private_key, rs_));  // es (initiator side)
      break;
    }
    case 2: {  // -> s, se
      if (rest.size() < kEncryptedKeyBytes + crypto::kAeadTagBytes) return too_short(index_);
      AGORA_TRY(symmetric_.decrypt_and_hash(rest.first(kEncryptedKeyBytes), scratch));  // s
      rs_ = key_at(scratch);
      rest = rest.subspan(kEncryptedKeyBytes);
      AGORA_TRY(mix_dh(e_.private_key, rs_));  // se (responder side)
      break;
    }
  }
  AGORA_TRY(symmetric_.decrypt_and_hash(rest, payload_out));
  ++index_;
  return {};
}

}  // namespace agora::noise
