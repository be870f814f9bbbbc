#include "proto/noise/noise_handshake.h"

#include <algorithm>

#include "proto/noise/noise_payload.h"

namespace agora::noise {
namespace {

constexpr std::string_view kStaticKeySignaturePrefix = "noise-libp2p-static-key:";
constexpr size_t kEncryptedKeyBytes = noise::kDhBytes + crypto::kAeadTagBytes;

Bytes signed_static_key(const crypto::X25519Key& static_public) {
  Bytes msg = to_bytes(kStaticKeySignaturePrefix);
  append(msg, static_public);
  return msg;
}

Bytes make_local_payload(const crypto::Ed25519PrivateKey& identity,
                         const crypto::X25519Key& static_public, const NoiseConfig& config) {
  noise::NoiseHandshakePayload payload;
  const auto& pub = identity.public_key();
  payload.identity_key =
      encode_public_key(PublicKeyProto{KeyType::ed25519, Bytes(pub.begin(), pub.end())});
  auto sig = identity.sign(signed_static_key(static_public));
  payload.identity_sig.assign(sig.begin(), sig.end());
  if (!config.muxers.empty()) payload.extensions = noise::NoiseExtensions{{}, config.muxers};
  return encode_noise_payload(payload);
}

}  // namespace

NoiseHandshake::NoiseHandshake(bool initiator, const crypto::Ed25519PrivateKey& identity,
                               NoiseConfig config, const NoiseKeys& keys)
    : initiator_(initiator),
      config_(std::move(config)),
      state_(initiator, keys.static_key, /*prologue=*/{}, keys.ephemeral),
      local_payload_(make_local_payload(identity, keys.static_key.public_key, config_)) {
  // Message 1 carries no payload: the spec forbids extensions (and identity) before encryption.
  if (initiator_) {
    if (Status st = write_message({}); !st) failed_ = st.error();
  }
}

void NoiseHandshake::take_output(Bytes& out) {
  append(out, out_);
  out_.clear();
}

Status NoiseHandshake::write_message(BytesView payload) {
  const size_t header_at = out_.size();
  out_.resize(header_at + kNoiseFrameHeaderBytes);
  AGORA_TRY(state_.write_message(payload, out_));
  const size_t len = out_.size() - header_at - kNoiseFrameHeaderBytes;
  if (len > kNoiseMessageBytesMax) {
    return make_error(Errc::too_large, "noise: our handshake message exceeds 65535 bytes");
  }
  put_u16_be(out_.data() + header_at, uint16_t(len));
  return {};
}

// The largest handshake message we accept next, from what that message must contain.
size_t NoiseHandshake::message_bytes_max() const {
  const size_t payload = config_.handshake_payload_bytes_max;
  switch (state_.message_index()) {
    case 0:  // e, cleartext payload (empty from compliant peers)
      return noise::kDhBytes + payload;
    case 1:  // e, encrypted s, encrypted payload
      return noise::kDhBytes + kEncryptedKeyBytes + payload + crypto::kAeadTagBytes;
    default:  // encrypted s, encrypted payload
      return kEncryptedKeyBytes + payload + crypto::kAeadTagBytes;
  }
}

Status NoiseHandshake::on_bytes(BytesView in) {
  if (failed_) return *failed_;
  if (finished_) return make_error(Errc::internal, "noise: handshake already finished");
  if (done_) {
    append(outcome_.leftover, in);  // transport data that raced the caller's finish()
    return {};
  }
  // Parse straight from the caller's buffer when nothing is pending; keep only a partial frame.
  const bool buffered = !in_.empty();
  if (buffered) in_.insert(in_.end(), in.begin(), in.end());
  BytesView data = buffered ? BytesView(in_) : in;
  size_t pos = 0;
  while (!done_ && data.size() - pos >= kNoiseFrameHeaderBytes) {
    const size_t len = get_u16_be(data.data() + pos);
    if (len > message_bytes_max()) {
      failed_ = make_error(Errc::too_large,
                           "noise: handshake message of " + std::to_string(len) + " bytes");
      return *failed_;
    }
    if (data.size() - pos - kNoiseFrameHeaderBytes < len) break;
    Status st = process_message(data.subspan(pos + kNoiseFrameHeaderBytes, len));
    pos += kNoiseFrameHeaderBytes + len;
    if (!st) {
      failed_ = st.error();
      return st;
    }
  }
  BytesView rest = data.subspan(pos);
  if (done_) {
    outcome_.leftover.assign(rest.begin(), rest.end());  // early transport data, copied once
    in_ = Bytes();
  } else if (buffered) {
    in_.erase(in_.begin(), in_.begin() + pos);
  } else {
    in_.assign(rest.begin(), rest.end());
  }
  return {};
}

Status NoiseHandshake::process_message(BytesView message) {
  Bytes payload;
  AGORA_TRY(state_.read_message(message, payload));
  switch (state_.message_index()) {
    case 1:  // responder read message 1; its payload is ignored (it must be empty)
      return write_message(local_payload_);
    case 2:  // initiator read message 2
      AGORA_TRY(accept_remote_payload(payload));
      AGORA_TRY(write_message(local_payload_));
      complete();
      return {};
    case 3:  // responder read message 3
      AGORA_TRY(accept_remote_payload(payload));
      complete();
      return {};
    default:
      return make_error(Errc::internal, "noise: unexpected handshake state");
  }
}

Status NoiseHandshake::accept_remote_payload(BytesView payload_bytes) {
  if (payload_bytes.size() > config_.handshake_payload_bytes_max) {
    return make_error(Errc::too_large, "noise: handshake payload too large");
  }
  noise::NoisePayloadLimits limits;
  limits.stream_muxers_max = config_.stream_muxers_max;
  limits.stream_muxer_bytes_max = config_.stream_muxer_bytes_max;
  limits.certhashes_max = config_.certhashes_max;
  limits.certhash_bytes_max = config_.certhash_bytes_max;
  AGORA_ASSIGN(noise::NoiseHandshakePayload payload,
               noise::decode_noise_payload(payload_bytes, limits));
  if (payload.identity_key.empty() || payload.identity_sig.empty()) {
    return make_error(Errc::protocol, "noise: payload without identity key or signature");
  }
  AGORA_ASSIGN(PublicKeyProto key, decode_public_key(payload.identity_key));
  if (key.type != KeyType::ed25519) {
    return make_error(Errc::unsupported, "noise: only Ed25519 identity keys are verified");
  }
  crypto::Ed25519PublicKey ed_key;
  std::copy_n(key.data.begin(), ed_key.size(), ed_key.begin());  // decode checked 32 bytes
  if (!crypto::ed25519_verify(ed_key, signed_static_key(state_.remote_static()),
                              payload.identity_sig)) {
    return make_error(Errc::crypto, "noise: identity signature does not match the static key");
  }
  PeerId peer = PeerId::from_public_key(key);
  if (config_.expected_peer && *config_.expected_peer != peer) {
    return make_error(Errc::peer_mismatch, "noise: remote is " + peer.to_string() + ", expected " +
                                               config_.expected_peer->to_string());
  }
  outcome_.remote_peer = std::move(peer);
  outcome_.remote_key = std::move(key);
  static const std::vector<std::string> kNone;
  return negotiate_muxer(payload.extensions ? payload.extensions->stream_muxers : kNone);
}

// Inlined muxer negotiation: the first of the initiator's muxers that the responder lists.
Status NoiseHandshake::negotiate_muxer(const std::vector<std::string>& remote_muxers) {
  if (config_.muxers.empty() || remote_muxers.empty()) return {};  // fall back to multistream
  const auto& initiator_list = initiator_ ? config_.muxers : remote_muxers;
  const auto& responder_list = initiator_ ? remote_muxers : config_.muxers;
  for (const std::string& m : initiator_list) {
    if (std::find(responder_list.begin(), responder_list.end(), m) != responder_list.end()) {
      outcome_.muxer = m;
      return {};
    }
  }
  return make_error(Errc::protocol, "noise: no stream muxer in common");
}

void NoiseHandshake::complete() {
  auto [initiator_to_responder, responder_to_initiator] = state_.split();
  auto [send, send_nonce] =
      std::move(initiator_ ? initiator_to_responder : responder_to_initiator).take();
  auto [recv, recv_nonce] =
      std::move(initiator_ ? responder_to_initiator : initiator_to_responder).take();
  outcome_.transport =
      std::make_unique<NoiseTransport>(std::move(send), std::move(recv), send_nonce, recv_nonce);
  done_ = true;
}

Result<NoiseOutcome> NoiseHandshake::finish() {
  if (failed_) return *failed_;
  if (!done_) return make_error(Errc::internal, "noise: finish() before the handshake is done");
  if (finished_) return make_error(Errc::internal, "noise: finish() called twice");
  finished_ = true;
  return std::move(outcome_);
}

}  // namespace agora::noise
