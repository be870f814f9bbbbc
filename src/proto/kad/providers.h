// Provider records: which peers said they provide a content multihash (ADD_PROVIDER), kept in
// memory with bounds. SQLite persistence is a separate piece in store/.
//
// A record expires provider_validity (48 h) after it was last added; its addresses are returned
// only for provider_addrs_validity (30 min, as go and js keep them), after which a caller has to
// find the peer's addresses itself. When a key holds providers_per_key_max live providers a new
// one is refused (the existing ones are not evicted by a flood of new ids).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "base/time.h"
#include "proto/kad/message.h"

namespace agora::kad {

struct ProviderStoreConfig {
  size_t keys_max = 16384;
  size_t providers_per_key_max = 20;
  size_t addrs_per_provider_max = 4;
  size_t addr_bytes_max = 256;
  Duration provider_validity = std::chrono::hours(48);
  Duration provider_addrs_validity = std::chrono::minutes(30);
};

struct ProviderRecord {
  PeerInfo peer;
  Instant added{};
};

class ProviderStore {
 public:
  explicit ProviderStore(ProviderStoreConfig config = {}) : config_(config) {}

  // Adds or refreshes `provider` for `key` (a multihash). Errc::limit when the key or the store
  // is full.
  Status add(BytesView key, const PeerInfo& provider, Instant now);
  // Live providers of `key`, most recently added first.
  std::vector<PeerInfo> providers(BytesView key, Instant now) const;
  std::vector<ProviderRecord> records(BytesView key, Instant now) const;
  // Drops expired records and empty keys.
  void expire(Instant now);
  size_t key_count() const { return keys_.size(); }
  size_t record_count() const { return records_; }
  const ProviderStoreConfig& config() const { return config_; }

 private:
  ProviderStoreConfig config_;
  std::map<Bytes, std::vector<ProviderRecord>> keys_;
  size_t records_ = 0;
};

}  // namespace agora::kad
