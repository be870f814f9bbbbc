#include "host/peer_store.h"

#include <algorithm>
#include <tuple>

#include "host/address_filter.h"

namespace agora::host {
namespace {

bool is_bootstrap(const PeerRecord& r) { return r.sources & host::bit(PeerSource::bootstrap); }

// Protocol ids are ASCII in every libp2p implementation; anything else is dropped so that what
// we store and print is always valid text.
bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string clean_agent(std::string_view agent, size_t bytes_max) {
  std::string out(agent.substr(0, bytes_max));
  for (char& c : out)
    if (c < 0x20 || c >= 0x7f) c = '?';
  return out;
}

}  // namespace

PeerStore::PeerStore(PeerStoreConfig config) : config_(config) {
  config_.peers_max = std::max<size_t>(1, config_.peers_max);
  config_.addrs_per_peer_max = std::max<size_t>(1, config_.addrs_per_peer_max);
}

void PeerStore::changed(const PeerId& peer) {
  changed_.insert(peer);
  removed_.erase(peer);
}

void PeerStore::load(std::vector<PeerRecord> records) {
  peers_.clear();
  changed_.clear();
  removed_.clear();
  for (PeerRecord& r : records) {
    if (peers_.size() >= config_.peers_max) break;
    if (r.peer.empty() || peers_.count(r.peer)) continue;
    Entry e;
    std::vector<host::PeerAddress> addrs = std::move(r.addrs);
    std::vector<std::string> protocols = std::move(r.protocols);
    e.record = std::move(r);
    // Oldest first, so the newest ends up in front.
    std::stable_sort(addrs.begin(), addrs.end(),
                     [](auto& a, auto& b) { return a.last_seen_ms < b.last_seen_ms; });
    for (auto& a : addrs) merge_addr(e, a.addr, a.last_seen_ms);
    e.record.agent = clean_agent(e.record.agent, config_.agent_bytes_max);
    PeerId id = e.record.peer;
    peers_.emplace(id, std::move(e));
    set_identify(id, protocols, peers_.at(id).record.agent, 0);
  }
  changed_.clear();
}

bool PeerStore::evict_one() {
  auto victim = peers_.end();
  for (auto it = peers_.begin(); it != peers_.end(); ++it) {
    if (it->second.connections > 0) continue;
    // Peers we cannot dial (inbound-only, no address) go first: they are the cheapest for a
    // stranger to make up. Bootstrap peers go last.
    auto key = [](const Entry& e) {
      return std::make_tuple(is_bootstrap(e.record), !e.record.addrs.empty(),
                             e.record.last_seen_ms);
    };
    if (victim == peers_.end() || key(it->second) < key(victim->second)) victim = it;
  }
  if (victim == peers_.end()) return false;
  PeerId gone = victim->first;
  peers_.erase(victim);
  changed_.erase(gone);
  removed_.insert(gone);
  ++stats_.peers_evicted;
  return true;
}

PeerStore::Entry* PeerStore::get_or_create(const PeerId& peer, int64_t now_ms) {
  if (auto it = peers_.find(peer); it != peers_.end()) return &it->second;
  if (peers_.size() >= config_.peers_max && !evict_one()) {
    ++stats_.peers_refused;
    return nullptr;
  }
  Entry& e = peers_[peer];
  e.record.peer = peer;
  e.record.first_seen_ms = e.record.last_seen_ms = now_ms;
  changed(peer);
  return &e;
}

void PeerStore::merge_addr(Entry& e, const Multiaddr& given, int64_t now_ms) {
  auto addr = address_of(given, e.record.peer);
  if (!addr || !is_dialable_tcp(*addr)) {
    ++stats_.addrs_dropped;
    return;
  }
  auto& addrs = e.record.addrs;
  std::erase_if(addrs, [&](const host::PeerAddress& a) { return a.addr == *addr; });
  addrs.insert(addrs.begin(), {std::move(*addr), now_ms});
  while (addrs.size() > config_.addrs_per_peer_max) {
    addrs.pop_back();
    ++stats_.addrs_dropped;
  }
}

bool PeerStore::add_addrs(const PeerId& peer, std::span<const Multiaddr> addrs, uint32_t sources,
                          int64_t now_ms) {
  Entry* e = get_or_create(peer, now_ms);
  if (!e) return false;
  for (const Multiaddr& a : addrs) merge_addr(*e, a, now_ms);
  e->record.sources |= sources;
  e->record.last_seen_ms = std::max(e->record.last_seen_ms, now_ms);
  changed(peer);
  return true;
}

void PeerStore::remove_sources(const PeerId& peer, uint32_t sources) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !(it->second.record.sources & sources)) return;
  it->second.record.sources &= ~sources;
  changed(peer);
}

void PeerStore::set_identify(const PeerId& peer, std::span<const std::string> protocols,
                             std::string_view agent, int64_t now_ms) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  PeerRecord& r = it->second.record;
  std::vector<std::string> kept;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > config_.protocol_bytes_max || !printable_ascii(p)) {
      ++stats_.protocols_dropped;
      continue;
    }
    kept.push_back(p);
  }
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  if (kept.size() > config_.protocols_per_peer_max) {
    stats_.protocols_dropped += kept.size() - config_.protocols_per_peer_max;
    kept.resize(config_.protocols_per_peer_max);
  }
  std::string cleaned = clean_agent(agent, config_.agent_bytes_max);
  if (kept == r.protocols && cleaned == r.agent) return;
  r.protocols = std::move(kept);
  r.agent = std::move(cleaned);
  r.last_seen_ms = std::max(r.last_seen_ms, now_ms);
  changed(peer);
}

void PeerStore::set_latency(const PeerId& peer, Duration rtt) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(rtt).count();
  if (it->second.record.latency_us == us) return;
  it->second.record.latency_us = us;
  changed(peer);
}

bool PeerStore::remove(const PeerId& peer) {
  if (peers_.erase(peer) == 0) return false;
  changed_.erase(peer);
  removed_.insert(peer);
  return true;
}

void PeerStore::on_connected(const PeerId& peer, const Multiaddr& dialed, uint32_t sources,
                             int64_t now_ms) {
  Entry* e = get_or_create(peer, now_ms);
  if (!e) return;
  ++e->connections;
  e->dial_failures = 0;
  e->next_dial_at = {};
  e->record.sources |= sources;
  e->record.last_seen_ms = std::max(e->record.last_seen_ms, now_ms);
  if (!dialed.empty()) merge_addr(*e, dialed, now_ms);
  changed(peer);
}

void PeerStore::on_disconnected(const PeerId& peer, int64_t now_ms, Instant now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Entry& e = it->second;
  if (e.connections > 0) --e.connections;
  e.record.last_seen_ms = std::max(e.record.last_seen_ms, now_ms);
  if (e.connections == 0) e.next_dial_at = now + config_.redial_after_close;
  changed(peer);
}

void PeerStore::on_dial_failed(const PeerId& peer, Instant now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Entry& e = it->second;
  Duration backoff = config_.dial_backoff_min;
  for (unsigned i = 0; i < e.dial_failures && backoff < config_.dial_backoff_max; ++i) backoff *= 2;
  e.next_dial_at = now + std::min(backoff, config_.dial_backoff_max);
  ++e.dial_failures;
}

void PeerStore::touch_connected(int64_t now_ms) {
  for (auto& [id, e] : peers_) {
    if (e.connections == 0 || e.record.last_seen_ms >= now_ms) continue;
    e.record.last_seen_ms = now_ms;
    changed(id);
  }
}

const PeerRecord* PeerStore::find(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second.record;
}

bool PeerStore::connected(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.connections > 0;
}

std::vector<PeerId> PeerStore::dial_candidates(size_t n, Instant now) const {
  std::vector<const Entry*> ready;
  for (const auto& [id, e] : peers_)
    if (e.connections == 0 && !e.record.addrs.empty() && now >= e.next_dial_at) ready.push_back(&e);
  auto better = [](const Entry* a, const Entry* b) {
    return std::make_tuple(!is_bootstrap(a->record), -a->record.last_seen_ms) <
           std::make_tuple(!is_bootstrap(b->record), -b->record.last_seen_ms);
  };
  n = std::min(n, ready.size());
  std::partial_sort(ready.begin(), ready.begin() + ptrdiff_t(n), ready.end(), better);
  std::vector<PeerId> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ready[i]->record.peer);
  return out;
}

std::vector<Multiaddr> PeerStore::dial_addrs(const PeerId& peer) const {
  std::vector<Multiaddr> out;
  if (const PeerRecord* r = find(peer))
    for (const auto& a : r->addrs) out.push_back(a.addr.with_peer_id(peer));
  return out;
}

std::vector<PeerRecord> PeerStore::list() const {
  std::vector<PeerRecord> out;
  for (const auto& [id, e] : peers_) out.push_back(e.record);
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return a.last_seen_ms > b.last_seen_ms; });
  return out;
}

PeerChanges PeerStore::take_changes() {
  PeerChanges out;
  for (const PeerId& p : changed_)
    if (auto it = peers_.find(p); it != peers_.end()) out.changed.push_back(it->second.record);
  out.removed.assign(removed_.begin(), removed_.end());
  changed_.clear();
  removed_.clear();
  return out;
}

}  // namespace agora::host
