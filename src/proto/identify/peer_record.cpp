#include "proto/identify/peer_record.h"

#include "codec/protobuf.h"
#include "proto/identify/envelope.h"

namespace agora::record {
namespace {

enum FieldNumber : uint32_t { kPeerId = 1, kSeq = 2, kAddresses = 3 };
constexpr uint32_t kAddressInfoMultiaddr = 1;

BytesView peer_record_payload_type() { return BytesView(kPeerRecordPayloadType); }

// One AddressInfo sub-message; nullopt when it holds no multiaddr we can parse.
Result<std::optional<Multiaddr>> decode_address_info(BytesView bytes) {
  std::optional<Multiaddr> addr;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field f, reader.next());
    if (f.number != kAddressInfoMultiaddr) continue;
    if (f.type != pb::kLen)
      return make_error(Errc::invalid_input, "peer record: multiaddr is not length-delimited");
    auto parsed = Multiaddr::from_bytes(f.bytes);
    if (parsed.ok() && !parsed->empty())
      addr = std::move(parsed).value();
    else
      addr.reset();
  }
  return addr;
}

}  // namespace

Bytes encode_peer_record(const PeerRecord& record) {
  pb::Writer w;
  w.bytes(kPeerId, record.peer.bytes());
  if (record.seq != 0) w.varint(kSeq, record.seq);
  for (const Multiaddr& addr : record.addrs) {
    pb::Writer info;
    info.bytes(kAddressInfoMultiaddr, addr.to_bytes());
    w.bytes(kAddresses, info.data());
  }
  return w.take();
}

Result<PeerRecord> decode_peer_record(BytesView bytes, const PeerRecordLimits& limits) {
  PeerRecord record;
  bool have_peer = false;
  size_t addr_fields = 0;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field f, reader.next());
    if (f.number != kPeerId && f.number != kSeq && f.number != kAddresses) continue;
    const pb::WireType want = f.number == kSeq ? pb::kVarint : pb::kLen;
    if (f.type != want)
      return make_error(Errc::invalid_input,
                        "peer record: field " + std::to_string(f.number) + " has the wrong type");
    switch (f.number) {
      case kPeerId: {
        AGORA_ASSIGN(record.peer, PeerId::from_bytes(f.bytes));
        have_peer = true;
        break;
      }
      case kSeq:
        record.seq = f.varint;
        break;
      case kAddresses: {
        if (++addr_fields > limits.addrs_max)
          return make_error(Errc::too_large, "peer record: more than " +
                                                 std::to_string(limits.addrs_max) + " addresses");
        AGORA_ASSIGN(std::optional<Multiaddr> addr, decode_address_info(f.bytes));
        if (addr)
          record.addrs.push_back(std::move(*addr));
        else
          ++record.skipped_addrs;
        break;
      }
    }
  }
  if (!have_peer) return make_error(Errc::invalid_input, "peer record: no peer id");
  return record;
}

Bytes make_signed_peer_record(const crypto::Ed25519PrivateKey& key, uint64_t seq,
                              const std::vector<Multiaddr>& addrs) {
  PeerRecord record;
  PublicKeyProto pub{KeyType::ed25519, Bytes(key.public_key().begin(), key.public_key().end())};
  record.peer = PeerId::from_public_key(pub);
  record.seq = seq;
  record.addrs = addrs;
  return seal_envelope(key, kPeerRecordDomain, peer_record_payload_type(),
                       encode_peer_record(record));
}

Result<PeerRecord> verify_signed_peer_record(BytesView envelope_bytes,
                                             const PeerRecordLimits& limits) {
  AGORA_ASSIGN(Envelope env,
               open_envelope(envelope_bytes, kPeerRecordDomain, peer_record_payload_type(),
                             EnvelopeLimits{limits.envelope_bytes_max}));
  AGORA_ASSIGN(PeerRecord record, decode_peer_record(env.payload, limits));
  PeerId signer = PeerId::from_public_key(env.public_key);
  if (record.peer != signer)
    return make_error(Errc::peer_mismatch, "peer record: record for " + record.peer.to_string() +
                                               " signed by " + signer.to_string());
  return record;
}

}  // namespace agora::record
