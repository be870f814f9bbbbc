// DHT value records: the validator and a bounded in-memory store.
//
// Only the `pk` namespace is known: key `/pk/<peer id multihash bytes>` (binary, not text), value
// a PublicKey protobuf whose peer id is that multihash. Any other namespace (ipns included, for
// now) is rejected, as js and go do for namespaces without a validator. All valid pk records for a
// key are the same key, so selection keeps the first.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"
#include "proto/kad/message.h"

namespace agora::kad {

inline constexpr std::string_view kPkNamespace = "pk";

// The namespace of a `/ns/rest` key, or Errc::invalid_input if the key has none.
Result<std::string_view> record_namespace(BytesView key);
// Errc::unsupported for an unknown namespace, Errc::invalid_input for a bad pk record.
Status validate_record(const Record& record);
// The pk key for a peer: "/pk/" + its multihash bytes.
Bytes pk_record_key(const PeerId& peer);

struct RecordStoreConfig {
  size_t records_max = 1024;
  Duration record_ttl = std::chrono::hours(36);  // go's MaxRecordAge
};

class RecordStore {
 public:
  explicit RecordStore(RecordStoreConfig config = {}) : config_(config) {}

  // Validates, then stores (replacing an older copy; pk keeps the stored value). Errc::limit when
  // full of live records.
  Status put(const Record& record, Instant now);
  // A live record, with time_received as stored.
  std::optional<Record> get(BytesView key, Instant now) const;
  void expire(Instant now);
  size_t size() const { return records_.size(); }

 private:
  struct Stored {
    Bytes value;
    Instant received{};
  };
  RecordStoreConfig config_;
  std::map<Bytes, Stored> records_;
};

}  // namespace agora::kad
