#include "proto/kad/records.h"

#include <algorithm>

namespace agora::kad {

Result<std::string_view> record_namespace(BytesView key) {
  const std::string_view k = as_chars(key);
  if (k.size() < 2 || k[0] != '/')
    return make_error(Errc::invalid_input, "kad: record key has no namespace");
  const size_t end = k.find('/', 1);
  if (end == std::string_view::npos || end == 1)
    return make_error(Errc::invalid_input, "kad: record key has no namespace");
  return k.substr(1, end - 1);
}

Bytes pk_record_key(const PeerId& peer) {
  Bytes key = to_bytes("/pk/");
  append(key, peer.bytes());
  return key;
}

namespace {

Status validate_pk(const Record& record) {
  const BytesView suffix = BytesView(record.key).subspan(4);  // after "/pk/"
  auto id = PeerId::from_bytes(suffix);
  if (!id)
    return make_error(Errc::invalid_input,
                      "kad: pk record key is not a peer id: " + id.error().message);
  auto key = decode_public_key(record.value);
  if (!key)
    return make_error(Errc::invalid_input,
                      "kad: pk record value is not a public key: " + key.error().message);
  if (PeerId::from_public_key(*key) != *id)
    return make_error(Errc::invalid_input,
                      "kad: pk record value is not the key of the peer in its key");
  return {};
}

}  // namespace

Status validate_record(const Record& record) {
  AGORA_ASSIGN(std::string_view ns, record_namespace(record.key));
  if (ns == kPkNamespace) return validate_pk(record);
  return make_error(Errc::unsupported,
                    "kad: no validator for record namespace '" + std::string(ns) + "'");
}

Status RecordStore::put(const Record& record, Instant now) {
  AGORA_TRY(validate_record(record));
  auto it = records_.find(record.key);
  if (it != records_.end()) {
    // Select for pk keeps the first value; every valid one is the same key anyway.
    it->second.received = now;
    return {};
  }
  if (records_.size() >= config_.records_max) {
    expire(now);
    if (records_.size() >= config_.records_max)
      return make_error(Errc::limit, "kad: record store full (records_max " +
                                         std::to_string(config_.records_max) + ")");
  }
  records_.emplace(record.key, Stored{record.value, now});
  return {};
}

std::optional<Record> RecordStore::get(BytesView key, Instant now) const {
  auto it = records_.find(Bytes(key.begin(), key.end()));
  if (it == records_.end() || now - it->second.received >= config_.record_ttl) return std::nullopt;
  return Record{it->first, it->second.value, {}};
}

void RecordStore::expire(Instant now) {
  std::erase_if(records_,
                [&](const auto& kv) { return now - kv.second.received >= config_.record_ttl; });
}

}  // namespace agora::kad
