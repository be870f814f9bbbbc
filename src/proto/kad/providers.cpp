#include "proto/kad/providers.h"

#include <algorithm>
#include <string>

namespace agora::kad {

Status ProviderStore::add(BytesView key, const PeerInfo& provider, Instant now) {
  if (provider.id.empty())
    return make_error(Errc::invalid_input, "kad: provider without a peer id");
  Bytes k(key.begin(), key.end());
  auto kit = keys_.find(k);
  if (kit == keys_.end()) {
    if (keys_.size() >= config_.keys_max) {
      expire(now);
      if (keys_.size() >= config_.keys_max)
        return make_error(Errc::limit, "kad: provider store full (keys_max " +
                                           std::to_string(config_.keys_max) + ")");
    }
    kit = keys_.emplace(std::move(k), std::vector<ProviderRecord>{}).first;
  }
  std::vector<ProviderRecord>& list = kit->second;
  const size_t before = list.size();
  std::erase_if(
      list, [&](const ProviderRecord& r) { return now - r.added >= config_.provider_validity; });
  records_ -= before - list.size();

  ProviderRecord record{PeerInfo{provider.id, {}}, now};
  for (const Bytes& a : provider.addrs) {
    if (record.peer.addrs.size() >= config_.addrs_per_provider_max) break;
    if (a.size() <= config_.addr_bytes_max) record.peer.addrs.push_back(a);
  }
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const ProviderRecord& r) { return r.peer.id == provider.id; });
  if (it != list.end()) {
    if (record.peer.addrs.empty()) record.peer.addrs = std::move(it->peer.addrs);
    *it = std::move(record);
    return {};
  }
  if (list.size() >= config_.providers_per_key_max) {
    if (list.empty()) keys_.erase(kit);
    return make_error(Errc::limit, "kad: key has providers_per_key_max " +
                                       std::to_string(config_.providers_per_key_max) +
                                       " providers");
  }
  list.push_back(std::move(record));
  ++records_;
  return {};
}

std::vector<ProviderRecord> ProviderStore::records(BytesView key, Instant now) const {
  std::vector<ProviderRecord> out;
  auto it = keys_.find(Bytes(key.begin(), key.end()));
  if (it == keys_.end()) return out;
  for (const ProviderRecord& r : it->second) {
    if (now - r.added >= config_.provider_validity) continue;
    out.push_back(r);
    if (now - r.added >= config_.provider_addrs_validity) out.back().peer.addrs.clear();
  }
  std::stable_sort(out.begin(), out.end(), [](const ProviderRecord& a, const ProviderRecord& b) {
    return a.added > b.added;
  });
  return out;
}

std::vector<PeerInfo> ProviderStore::providers(BytesView key, Instant now) const {
  std::vector<PeerInfo> out;
  for (ProviderRecord& r : records(key, now)) out.push_back(std::move(r.peer));
  return out;
}

void ProviderStore::expire(Instant now) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    const size_t before = it->second.size();
    std::erase_if(it->second, [&](const ProviderRecord& r) {
      return now - r.added >= config_.provider_validity;
    });
    records_ -= before - it->second.size();
    it = it->second.empty() ? keys_.erase(it) : std::next(it);
  }
}

}  // namespace agora::kad
