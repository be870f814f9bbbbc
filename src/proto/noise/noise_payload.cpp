#include "proto/noise/noise_payload.h"

#include "codec/protobuf.h"

namespace agora::noise {
namespace {

enum PayloadField : uint32_t { kIdentityKey = 1, kIdentitySig = 2, kExtensions = 4 };
enum ExtensionField : uint32_t { kCerthashes = 1, kStreamMuxers = 2 };

Error too_large(const std::string& what) {
  return make_error(Errc::too_large, "noise payload: " + what);
}

Result<NoiseExtensions> decode_extensions(BytesView bytes, const NoisePayloadLimits& limits) {
  NoiseExtensions ext;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field field, reader.next());
    if (field.type != pb::kLen) continue;  // unknown scalar field
    if (field.number == kCerthashes) {
      if (ext.webtransport_certhashes.size() >= limits.certhashes_max) {
        return too_large("too many certhashes");
      }
      if (field.bytes.size() > limits.certhash_bytes_max) return too_large("certhash");
      ext.webtransport_certhashes.emplace_back(field.bytes.begin(), field.bytes.end());
    } else if (field.number == kStreamMuxers) {
      if (ext.stream_muxers.size() >= limits.stream_muxers_max) {
        return too_large("too many stream muxers");
      }
      if (field.bytes.size() > limits.stream_muxer_bytes_max) return too_large("stream muxer");
      ext.stream_muxers.emplace_back(as_chars(field.bytes));
    }
  }
  return ext;
}

}  // namespace

Bytes encode_noise_payload(const NoiseHandshakePayload& payload) {
  pb::Writer w;
  w.bytes(kIdentityKey, payload.identity_key);
  w.bytes(kIdentitySig, payload.identity_sig);
  if (payload.extensions) {
    pb::Writer ext;
    for (const Bytes& h : payload.extensions->webtransport_certhashes) ext.bytes(kCerthashes, h);
    for (const std::string& m : payload.extensions->stream_muxers) ext.string(kStreamMuxers, m);
    w.bytes(kExtensions, ext.data());
  }
  return w.take();
}

Result<NoiseHandshakePayload> decode_noise_payload(BytesView bytes,
                                                   const NoisePayloadLimits& limits) {
  NoiseHandshakePayload payload;
  bool have_key = false, have_sig = false;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field field, reader.next());
    if (field.type != pb::kLen) continue;
    switch (field.number) {
      case kIdentityKey:
        if (have_key) return make_error(Errc::invalid_input, "noise payload: duplicate key");
        if (field.bytes.size() > limits.identity_key_bytes_max) return too_large("identity key");
        payload.identity_key.assign(field.bytes.begin(), field.bytes.end());
        have_key = true;
        break;
      case kIdentitySig:
        if (have_sig) return make_error(Errc::invalid_input, "noise payload: duplicate sig");
        if (field.bytes.size() > limits.identity_sig_bytes_max) return too_large("identity sig");
        payload.identity_sig.assign(field.bytes.begin(), field.bytes.end());
        have_sig = true;
        break;
      case kExtensions: {
        if (payload.extensions) {
          return make_error(Errc::invalid_input, "noise payload: duplicate extensions");
        }
        AGORA_ASSIGN(NoiseExtensions ext, decode_extensions(field.bytes, limits));
        payload.extensions = std::move(ext);
        break;
      }
      default:
        break;  // unknown or retired (3: data) field
    }
  }
  return payload;
}

}  // namespace agora::noise
