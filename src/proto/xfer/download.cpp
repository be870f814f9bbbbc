#include "proto/xfer/download.h"

#include <algorithm>

namespace agora::xfer {

namespace {
constexpr uint16_t kAvailabilityMax = 65535;

void add_index(std::vector<LeafRange>& out, uint64_t index) {
  if (!out.empty() && out.back().first + out.back().count == index) {
    ++out.back().count;
  } else {
    out.push_back({index, 1});
  }
}
}  // namespace

Download::Download(std::vector<uint64_t> leaf_sizes, DownloadConfig config, std::vector<bool> have)
    : sizes_(std::move(leaf_sizes)),
      config_(config),
      state_(sizes_.size(), State::done),
      availability_(sizes_.size(), 0),
      askings_(sizes_.size(), 0) {
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (i < have.size() && have[i]) continue;
    set_state(i, State::needed);
    ++leaves_left_;
  }
  if (!sizes_.empty()) config_.start_leaf %= sizes_.size();
  random_state_ = config_.start_leaf;
}

void Download::set_state(uint64_t index, State state) {
  if (state_[index] == state) return;
  if (state_[index] == State::needed) {
    auto bucket = needed_.find(availability_[index]);
    bucket->second.erase(index);
    if (bucket->second.empty()) needed_.erase(bucket);
    --needed_count_;
  }
  state_[index] = state;
  if (state == State::needed) {
    needed_[availability_[index]].insert(index);
    ++needed_count_;
    first_needed_ = std::min(first_needed_, index);
  }
}

void Download::add_availability(uint64_t index, int delta) {
  uint16_t now = availability_[index];
  if ((delta > 0 && now == kAvailabilityMax) || (delta < 0 && now == 0)) return;
  State state = state_[index];
  if (state == State::needed) set_state(index, State::asked);  // out of its bucket
  availability_[index] = uint16_t(now + delta);
  if (state == State::needed) set_state(index, State::needed);  // into the new one
}

Status Download::add_peer(PeerKey peer, Instant now) {
  if (peers_.count(peer)) return {};
  if (peers_.size() >= config_.peers_max)
    return make_error(Errc::limit,
                      "a download takes at most " + std::to_string(config_.peers_max) + " peers");
  Peer& p = peers_[peer];
  p.window_start = now;
  return {};
}

void Download::set_has(Peer& p, uint64_t index, bool value) {
  if (p.has.size() != sizes_.size()) p.has.assign(sizes_.size(), false);
  if (p.has[index] == value) return;
  p.has[index] = value;
  add_availability(index, value ? 1 : -1);
}

void Download::peer_has_all(PeerKey peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.has_all) return;
  Peer& p = it->second;
  for (size_t i = 0; i < p.has.size(); ++i) {
    if (p.has[i]) set_has(p, i, false);  // counted once, through has_all
  }
  p.has.clear();
  p.has_all = true;
  ++has_all_peers_;
}

void Download::peer_has(PeerKey peer, const HaveBits& have) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.has_all) return;
  for (size_t byte = 0; byte < have.bits.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      uint64_t index = have.first + byte * 8 + bit;
      if (index >= sizes_.size() || index < have.first) return;
      if (have.bits[byte] & (1u << bit)) set_has(it->second, index, true);
    }
  }
}

void Download::give_back(uint64_t index) {
  if (state_[index] == State::asked && askings_[index] == 0) set_state(index, State::needed);
}

void Download::remove_peer(PeerKey peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Peer& p = it->second;
  for (uint64_t index : p.asked) {
    --askings_[index];
    give_back(index);
  }
  if (p.has_all) --has_all_peers_;
  for (size_t i = 0; i < p.has.size(); ++i) {
    if (p.has[i]) add_availability(i, -1);
  }
  peers_.erase(it);
}

bool Download::on_leaf(PeerKey peer, uint64_t index, Instant now) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || index >= sizes_.size()) return false;
  Peer& p = it->second;
  if (p.asked.erase(index) == 0) return false;
  p.asked_bytes -= sizes_[index];
  --askings_[index];
  p.bytes_in_window += sizes_[index];
  Duration elapsed = now - p.window_start;
  if (elapsed >= std::chrono::milliseconds(500)) {
    double rate = double(p.bytes_in_window) / std::chrono::duration<double>(elapsed).count();
    p.rate_bytes_per_s = p.rate_bytes_per_s == 0 ? rate : 0.5 * p.rate_bytes_per_s + 0.5 * rate;
    p.bytes_in_window = 0;
    p.window_start = now;
  }
  if (state_[index] == State::done) return true;  // an endgame copy
  set_state(index, State::done);
  --leaves_left_;
  for (auto& [key, other] : peers_) {
    if (key != peer && other.asked.count(index)) other.cancels.push_back(index);
  }
  return true;
}

void Download::on_missing(PeerKey peer, const std::vector<LeafRange>& ranges) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Peer& p = it->second;
  if (p.has_all) {  // now it holds all but these
    p.has_all = false;
    --has_all_peers_;
    for (uint64_t i = 0; i < sizes_.size(); ++i) set_has(p, i, true);
  }
  for (const LeafRange& r : ranges) {
    for (uint64_t index = r.first; index < r.first + r.count && index < sizes_.size(); ++index) {
      set_has(p, index, false);
      if (p.asked.erase(index) == 0) continue;
      p.asked_bytes -= sizes_[index];
      --askings_[index];
      give_back(index);
    }
  }
}

void Download::set_choked(PeerKey peer, bool choked) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.choked == choked) return;
  Peer& p = it->second;
  p.choked = choked;
  if (!choked) return;
  for (uint64_t index : p.asked) {
    --askings_[index];
    give_back(index);
    p.cancelled.insert(index);  // the server drops its queue, but some may be on the wire
  }
  p.asked.clear();
  p.asked_bytes = 0;
  p.cancels.clear();
}

uint64_t Download::pipeline_bytes(const Peer& p) const {
  double window = std::chrono::duration<double>(config_.pipeline_window).count();
  auto want = uint64_t(p.rate_bytes_per_s * window);
  return std::clamp(want, config_.pipeline_bytes_min, config_.pipeline_bytes_max);
}

void Download::ask(PeerKey, Peer& p, uint64_t index, std::vector<LeafRange>& out) {
  set_state(index, State::asked);
  ++askings_[index];
  p.asked.insert(index);
  p.asked_bytes += sizes_[index];
  add_index(out, index);
}

// Rarest first: the leaves nobody has been asked for, lowest availability first, each
// availability in file order from the start leaf, skipping those this peer does not hold, while
// the budget lasts. Sequential: in file order from the first such leaf.
void Download::fill_new(PeerKey key, Peer& p, uint64_t budget, std::vector<LeafRange>& out) {
  std::vector<uint64_t> picked;  // asked after the walk: ask() changes the sets walked
  auto pick = [&](uint64_t i) {
    if (budget == 0 || p.asked.size() + picked.size() >= config_.leaves_in_flight_max) return false;
    if (holds(p, i)) {
      picked.push_back(i);
      budget = sizes_[i] >= budget ? 0 : budget - sizes_[i];
    }
    return true;
  };
  if (config_.sequential) {
    while (first_needed_ < sizes_.size() && state_[first_needed_] != State::needed) ++first_needed_;
    for (uint64_t i = first_needed_; i < sizes_.size(); ++i)
      if (state_[i] == State::needed && !pick(i)) break;
  } else {
    // Ties start at the start leaf, then at a random leaf each refill: downloaders walking the
    // same leaves in file order would fall into step and ask a seed for the same ones.
    uint64_t start = refills_++ == 0 ? config_.start_leaf : next_random() % sizes_.size();
    for (const auto& [availability, leaves] : needed_) {
      bool room = true;
      auto from = leaves.lower_bound(start);
      for (auto it = from; room && it != leaves.end(); ++it) room = pick(*it);
      for (auto it = leaves.begin(); room && it != from; ++it) room = pick(*it);
      if (!room) break;
    }
  }
  for (uint64_t i : picked) ask(key, p, i, out);
}

uint64_t Download::next_random() {  // splitmix64
  uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Download::fill_endgame(PeerKey key, Peer& p, uint64_t budget, std::vector<LeafRange>& out) {
  for (uint64_t i = 0; i < sizes_.size() && budget > 0; ++i) {
    if (state_[i] != State::asked || askings_[i] > config_.endgame_copies) continue;
    if (!holds(p, i) || p.asked.count(i)) continue;
    if (p.asked.size() >= config_.leaves_in_flight_max) return;
    ask(key, p, i, out);
    budget = sizes_[i] >= budget ? 0 : budget - sizes_[i];
  }
}

PeerWants Download::take(PeerKey peer, Instant) {
  PeerWants w;
  auto it = peers_.find(peer);
  if (it == peers_.end()) return w;
  Peer& p = it->second;
  for (uint64_t index : p.cancels) {
    if (p.asked.erase(index) == 0) continue;
    p.asked_bytes -= sizes_[index];
    --askings_[index];
    p.cancelled.insert(index);
    add_index(w.cancel, index);
  }
  p.cancels.clear();
  if (p.choked) return w;
  uint64_t target = pipeline_bytes(p);
  // Refill at half empty: WANTs go out in batches, not a frame per leaf.
  if (p.asked_bytes > target / 2) return w;
  uint64_t budget = target - p.asked_bytes;
  if (needed_count_ > 0) {
    fill_new(peer, p, budget, w.want);
  } else if (leaves_left_ > 0) {
    fill_endgame(peer, p, budget, w.want);
  }
  return w;
}

uint64_t Download::unavailable() const {
  auto none = needed_.find(0);
  return has_all_peers_ > 0 || none == needed_.end() ? 0 : none->second.size();
}

bool Download::is_asked(PeerKey peer, uint64_t index) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.asked.count(index) > 0;
}

bool Download::take_late(PeerKey peer, uint64_t index) {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.cancelled.erase(index) > 0;
}

size_t Download::in_flight(PeerKey peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.asked.size();
}

}  // namespace agora::xfer
