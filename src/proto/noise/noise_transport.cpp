#include "proto/noise/noise_transport.h"

#include <algorithm>

#include "proto/noise/noise_symmetric_state.h"

namespace agora::noise {

NoiseTransport::NoiseTransport(crypto::ChaChaPoly send, crypto::ChaChaPoly recv,
                               uint64_t send_nonce, uint64_t recv_nonce)
    : send_(std::move(send)),
      recv_(std::move(recv)),
      send_nonce_(send_nonce),
      recv_nonce_(recv_nonce) {}

void NoiseTransport::encrypt(BytesView plaintext, Bytes& out) {
  if (plaintext.empty() || send_exhausted_) return;
  const size_t frames =
      (plaintext.size() + kNoiseSendPlaintextBytes - 1) / kNoiseSendPlaintextBytes;
  const size_t allowed = size_t(std::min<uint64_t>(frames, noise::kNonceMax - send_nonce_));
  if (allowed < frames) {
    send_exhausted_ = true;
    plaintext = plaintext.first(allowed * kNoiseSendPlaintextBytes);
  }
  // One resize for the whole batch; every frame is sealed straight into `out`.
  size_t pos = out.size();
  out.resize(pos + plaintext.size() + allowed * (kNoiseFrameHeaderBytes + crypto::kAeadTagBytes));
  uint8_t* dst = out.data();
  while (!plaintext.empty()) {
    const size_t n = std::min(plaintext.size(), kNoiseSendPlaintextBytes);
    put_u16_be(dst + pos, uint16_t(n + crypto::kAeadTagBytes));
    send_.seal(send_nonce_++, {}, plaintext.first(n), dst + pos + kNoiseFrameHeaderBytes);
    pos += kNoiseFrameHeaderBytes + n + crypto::kAeadTagBytes;
    plaintext = plaintext.subspan(n);
  }
}

Status NoiseTransport::fail(Error error) {
  failed_ = error;
  return error;
}

Status NoiseTransport::open_frame(BytesView message, uint8_t* out) {
  if (recv_nonce_ == noise::kNonceMax) {
    return fail(make_error(Errc::limit, "noise: receive nonce exhausted"));
  }
  if (message.size() < crypto::kAeadTagBytes) {
    return fail(make_error(Errc::crypto, "noise: frame shorter than the tag"));
  }
  if (Status st = recv_.open(recv_nonce_, {}, message, out); !st) return fail(st.error());
  ++recv_nonce_;
  return {};
}

Status NoiseTransport::decrypt(BytesView ciphertext, Bytes& plaintext_out) {
  if (failed_) return *failed_;
  BytesView in = ciphertext;

  // Finish a frame that straddled the previous call.
  if (!partial_.empty() || in.size() < kNoiseFrameHeaderBytes) {
    auto take = [&](size_t want) {
      const size_t n = std::min(want - std::min(want, partial_.size()), in.size());
      partial_.insert(partial_.end(), in.begin(), in.begin() + n);
      in = in.subspan(n);
      return partial_.size() >= want;
    };
    if (!take(kNoiseFrameHeaderBytes)) return {};
    const size_t frame = kNoiseFrameHeaderBytes + get_u16_be(partial_.data());
    if (!take(frame)) return {};
    BytesView message = BytesView(partial_).subspan(kNoiseFrameHeaderBytes);
    const size_t old = plaintext_out.size();
    plaintext_out.resize(old + message.size() - std::min(message.size(), crypto::kAeadTagBytes));
    Status st = open_frame(message, plaintext_out.data() + old);
    partial_.clear();
    if (!st) {
      plaintext_out.resize(old);
      return st;
    }
  }

  // Size the output once for every complete frame in `in`, then open each frame directly from
  // the caller's buffer into it: no copy of the ciphertext, no per-frame allocation.
  size_t plain_total = 0;
  size_t scan = 0;
  while (in.size() - scan >= kNoiseFrameHeaderBytes) {
    const size_t len = get_u16_be(in.data() + scan);
    if (in.size() - scan - kNoiseFrameHeaderBytes < len) break;
    plain_total += len - std::min(len, crypto::kAeadTagBytes);
    scan += kNoiseFrameHeaderBytes + len;
  }
  size_t write = plaintext_out.size();
  plaintext_out.resize(write + plain_total);
  size_t pos = 0;
  while (pos < scan) {
    const size_t len = get_u16_be(in.data() + pos);
    BytesView message = in.subspan(pos + kNoiseFrameHeaderBytes, len);
    if (Status st = open_frame(message, plaintext_out.data() + write); !st) {
      plaintext_out.resize(write);
      return st;
    }
    write += len - crypto::kAeadTagBytes;
    pos += kNoiseFrameHeaderBytes + len;
  }
  if (scan < in.size()) {
    if (partial_.capacity() == 0) partial_.reserve(kNoiseFrameHeaderBytes + kNoiseMessageBytesMax);
    partial_.assign(in.begin() + scan, in.end());
  }
  return {};
}

}  // namespace agora::noise
