#include "proto/kad/providers.h"

#include <algorithm>
#include <string>

namespace agora::kad {
namespace {

// Quota groups: 'g' + the IP group, or 'p' + the peer id when the group is unknown; 'o' holds
// our own records, which no quota or eviction touches.
Bytes group_of(const PeerId& peer, BytesView ip_group) {
  Bytes out{uint8_t(ip_group.empty() ? 'p' : 'g')};
  if (ip_group.empty()) {
    append(out, peer.bytes());
  } else {
    out.insert(out.end(), ip_group.begin(), ip_group.end());
  }
  return out;
}
const Bytes kOwnGroup{uint8_t('o')};

Error over(const char* what, size_t limit) {
  return make_error(Errc::limit,
                    std::string("kad: provider over ") + what + " " + std::to_string(limit));
}

}  // namespace

Status ProviderStore::add(BytesView key, const PeerInfo& provider, BytesView ip_group,
                          Instant now) {
  return add_record(key, provider, group_of(provider.id, ip_group), false, Room::evict, now);
}

Status ProviderStore::restore(BytesView key, const PeerInfo& provider, BytesView ip_group,
                              Instant added) {
  return add_record(key, provider, group_of(provider.id, ip_group), false, Room::refuse, added);
}

Status ProviderStore::add_own(BytesView key, const PeerInfo& self, Instant now) {
  return add_record(key, self, kOwnGroup, true, Room::evict, now);
}

Status ProviderStore::add_record(BytesView key, const PeerInfo& provider, Bytes group, bool own,
                                 Room room, Instant now) {
  if (provider.id.empty())
    return make_error(Errc::invalid_input, "kad: provider without a peer id");
  Bytes k(key.begin(), key.end());
  if (auto kit = keys_.find(k); kit != keys_.end()) {
    drop_expired(kit, now);
    kit = keys_.find(k);
    if (kit != keys_.end() && refresh(kit, provider, now)) return {};
  }
  AGORA_TRY(make_room(provider.id, group, k, own, room, now));
  ProviderRecord record{PeerInfo{provider.id, {}}, now, std::move(group)};
  for (const Bytes& a : provider.addrs) {
    if (record.peer.addrs.size() >= config_.addrs_per_provider_max) break;
    if (a.size() <= config_.addr_bytes_max) record.peer.addrs.push_back(a);
  }
  auto kit = keys_.try_emplace(std::move(k)).first;
  index_add(&kit->first, record);
  kit->second.push_back(std::move(record));
  ++records_;
  return {};
}

// An existing record of the provider on this key: newer time and addresses, same quota group.
bool ProviderStore::refresh(KeyMap::iterator kit, const PeerInfo& provider, Instant now) {
  auto& list = kit->second;
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const ProviderRecord& r) { return r.peer.id == provider.id; });
  if (it == list.end()) return false;
  auto& by_age = peers_[provider.id].by_age;
  by_age.erase({it->added, &kit->first});
  by_age.insert({now, &kit->first});
  it->added = now;
  std::vector<Bytes> addrs;
  for (const Bytes& a : provider.addrs) {
    if (addrs.size() >= config_.addrs_per_provider_max) break;
    if (a.size() <= config_.addr_bytes_max) addrs.push_back(a);
  }
  if (!addrs.empty()) it->peer.addrs = std::move(addrs);
  return true;
}

// Room for one new record of `adder` on `key`: quotas first, then the key, then the store.
Status ProviderStore::make_room(const PeerId& adder, const Bytes& group, BytesView key, bool own,
                                Room room, Instant now) {
  if (!own) {
    if (peer_record_count(adder) >= config_.records_per_peer_max)
      return over("records_per_peer_max", config_.records_per_peer_max);
    auto git = groups_.find(group);
    if (git != groups_.end() && git->second.records >= config_.records_per_ip_group_max) {
      auto victim = largest_peer(git->second, adder);
      if (!victim || *victim == adder || room == Room::refuse)
        return over("records_per_ip_group_max", config_.records_per_ip_group_max);
      evict_oldest_of(*victim, &git->first);
    }
  }
  if (auto kit = keys_.find(Bytes(key.begin(), key.end()));
      kit != keys_.end() && kit->second.size() >= config_.providers_per_key_max &&
      (room == Room::refuse || !evict_from_key(kit)))
    return over("providers_per_key_max (all our own)", config_.providers_per_key_max);
  if (records_ < config_.records_max) return {};
  // A full store stays full (each add evicts one): expiring scans every record, so not per add.
  if (now - expired_at_ >= kExpireInterval) {
    expire(now);
    expired_at_ = now;
  }
  if (records_ < config_.records_max) return {};
  if (room == Room::refuse) return over("records_max", config_.records_max);
  const Bytes* g = largest_group();
  if (!g) return over("records_max (all our own)", config_.records_max);
  auto victim = largest_peer(groups_.at(*g), adder);
  if (!victim || *victim == adder) return over("records_max", config_.records_max);
  evict_oldest_of(*victim, g);
  return {};
}

// The oldest record of the group holding most of the key's records (ours never).
bool ProviderStore::evict_from_key(KeyMap::iterator kit) {
  const auto& list = kit->second;
  std::map<Bytes, size_t> per_group;
  for (const ProviderRecord& r : list)
    if (r.group != kOwnGroup) ++per_group[r.group];
  std::optional<size_t> best;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].group == kOwnGroup) continue;
    if (!best) {
      best = i;
      continue;
    }
    const size_t n = per_group[list[i].group], m = per_group[list[*best].group];
    if (n > m || (n == m && list[i].added < list[*best].added)) best = i;
  }
  if (!best) return false;
  erase_record(kit, *best, true);
  return true;
}

// The oldest record of `peer` (in `group`, when given).
bool ProviderStore::evict_oldest_of(const PeerId& peer, const Bytes* group) {
  auto pit = peers_.find(peer);
  if (pit == peers_.end()) return false;
  for (const auto& [added, key] : pit->second.by_age) {
    auto kit = keys_.find(*key);
    auto& list = kit->second;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].peer.id != peer || (group && list[i].group != *group)) continue;
      erase_record(kit, i, true);
      return true;
    }
  }
  return false;
}

std::optional<PeerId> ProviderStore::largest_peer(const GroupShare& g, const PeerId& adder) const {
  const std::pair<const PeerId, size_t>* best = nullptr;
  for (const auto& entry : g.peers)
    if (!best || entry.second > best->second ||
        (entry.second == best->second && best->first == adder))
      best = &entry;
  if (!best) return std::nullopt;
  return best->first;
}

const Bytes* ProviderStore::largest_group() const {
  const Bytes* best = nullptr;
  size_t most = 0;
  for (const auto& [name, g] : groups_) {
    if (name == kOwnGroup || g.records <= most) continue;
    best = &name;
    most = g.records;
  }
  return best;
}

void ProviderStore::index_add(const Bytes* key, const ProviderRecord& r) {
  peers_[r.peer.id].by_age.insert({r.added, key});
  GroupShare& g = groups_[r.group];
  ++g.records;
  ++g.peers[r.peer.id];
}

void ProviderStore::index_remove(const Bytes* key, const ProviderRecord& r) {
  if (auto pit = peers_.find(r.peer.id); pit != peers_.end()) {
    pit->second.by_age.erase({r.added, key});
    if (pit->second.by_age.empty()) peers_.erase(pit);
  }
  if (auto git = groups_.find(r.group); git != groups_.end()) {
    --git->second.records;
    if (auto it = git->second.peers.find(r.peer.id);
        it != git->second.peers.end() && --it->second == 0)
      git->second.peers.erase(it);
    if (git->second.records == 0) groups_.erase(git);
  }
}

void ProviderStore::erase_record(KeyMap::iterator kit, size_t i, bool evicted) {
  auto& list = kit->second;
  if (evicted) evicted_.push_back({kit->first, list[i].peer.id});
  index_remove(&kit->first, list[i]);
  list.erase(list.begin() + std::ptrdiff_t(i));
  --records_;
  if (list.empty()) keys_.erase(kit);
}

void ProviderStore::drop_expired(KeyMap::iterator kit, Instant now) {
  auto& list = kit->second;
  for (size_t i = list.size(); i-- > 0;) {
    if (!expired(list[i], now)) continue;
    const bool last = list.size() == 1;
    erase_record(kit, i, false);
    if (last) return;  // the key is gone
  }
}

size_t ProviderStore::remove_peer(const PeerId& peer) {
  size_t removed = 0;
  while (evict_oldest_of(peer, nullptr)) ++removed;
  return removed;
}

size_t ProviderStore::peer_record_count(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.by_age.size();
}

std::vector<ProviderRecord> ProviderStore::records(BytesView key, Instant now) const {
  std::vector<ProviderRecord> out;
  auto it = keys_.find(Bytes(key.begin(), key.end()));
  if (it == keys_.end()) return out;
  for (const ProviderRecord& r : it->second) {
    if (expired(r, now)) continue;
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
    auto next = std::next(it);
    drop_expired(it, now);  // may erase `it`
    it = next;
  }
}

// AddProviderGate

void AddProviderGate::refill(State& s, Instant now) const {
  if (now > s.refilled) {
    s.tokens = std::min(
        config_.burst,
        s.tokens + config_.rate_per_s * std::chrono::duration<double>(now - s.refilled).count());
    s.refilled = now;
  }
}

void AddProviderGate::prune(Instant now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    State& s = it->second;
    refill(s, now);
    const bool idle = s.tokens >= config_.burst &&
                      now - s.window_start >= config_.overflow_window && now >= s.banned_until;
    it = idle ? peers_.erase(it) : std::next(it);
  }
}

AddProviderGate::State* AddProviderGate::state(const PeerId& peer, Instant now) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) return &it->second;
  if (peers_.size() >= config_.peers_max && now - pruned_at_ >= kPruneInterval) {
    prune(now);
    pruned_at_ = now;
  }
  if (peers_.size() >= config_.peers_max) return nullptr;
  return &peers_.emplace(peer, State{config_.burst, now, 0, now, now}).first->second;
}

bool AddProviderGate::admit(const PeerId& peer, Instant now) {
  State* s = state(peer, now);
  if (!s) {
    if (!untracked_started_) untracked_ = State{config_.burst, now, 0, now, now};
    untracked_started_ = true;
    s = &untracked_;  // one bucket for all untracked peers
  }
  refill(*s, now);
  if (s->tokens < 1) return false;
  s->tokens -= 1;
  return true;
}

void AddProviderGate::ban(const PeerId& peer, Instant now) {
  State* s = state(peer, now);
  if (!s) return;
  s->banned_until = now + config_.overflow_window;
  s->overflows = 0;  // counted afresh once the ban ends
  s->window_start = now;
}

bool AddProviderGate::banned(const PeerId& peer, Instant now) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && now < it->second.banned_until;
}

bool AddProviderGate::overflowed(const PeerId& peer, Instant now) {
  State* s = state(peer, now);
  if (!s) return false;
  if (now - s->window_start >= config_.overflow_window) {
    s->window_start = now;
    s->overflows = 0;
  }
  return ++s->overflows >= config_.overflows_before_ban;
}

}  // namespace agora::kad
