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
      state_(sizes_.size(), State::needed),
      availability_(sizes_.size(), 0),
      askings_(sizes_.size(), 0) {
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (i < have.size() && have[i]) state_[i] = State::done;
  }
  leaves_left_ = uint64_t(std::count(state_.begin(), state_.end(), State::needed));
  if (!sizes_.empty()) config_.start_leaf %= sizes_.size();
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
  if (value && availability_[index] < kAvailabilityMax) ++availability_[index];
  if (!value && availability_[index] > 0) --availability_[index];
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
  if (state_[index] == State::asked && askings_[index] == 0) state_[index] = State::needed;
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
    if (p.has[i] && availability_[i] > 0) --availability_[i];
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
  state_[index] = State::done;
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
  state_[index] = State::asked;
  ++askings_[index];
  p.asked.insert(index);
  p.asked_bytes += sizes_[index];
  add_index(out, index);
}

// Rarest first: the lowest availability among the leaves this peer can give, taken in file order
// from the start leaf; then the next lowest, while the budget lasts.
void Download::fill_new(PeerKey key, Peer& p, uint64_t budget, std::vector<LeafRange>& out) {
  const uint64_t n = sizes_.size();
  uint64_t start = config_.sequential ? 0 : config_.start_leaf;
  while (budget > 0 && p.asked.size() < config_.leaves_in_flight_max) {
    uint32_t rarest = UINT32_MAX;
    if (!config_.sequential) {
      for (uint64_t i = 0; i < n; ++i) {
        if (state_[i] == State::needed && holds(p, i))
          rarest = std::min<uint32_t>(rarest, availability_[i]);
      }
      if (rarest == UINT32_MAX) return;
    }
    bool took = false;
    for (uint64_t k = 0; k < n && budget > 0; ++k) {
      uint64_t i = (start + k) % n;
      if (state_[i] != State::needed || !holds(p, i)) continue;
      if (!config_.sequential && availability_[i] != rarest) continue;
      if (p.asked.size() >= config_.leaves_in_flight_max) return;
      ask(key, p, i, out);
      budget = sizes_[i] >= budget ? 0 : budget - sizes_[i];
      took = true;
    }
    if (!took || config_.sequential) return;
  }
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
  bool any_needed =
      leaves_left_ > 0 && std::find(state_.begin(), state_.end(), State::needed) != state_.end();
  if (any_needed) {
    fill_new(peer, p, budget, w.want);
  } else if (leaves_left_ > 0) {
    fill_endgame(peer, p, budget, w.want);
  }
  return w;
}

uint64_t Download::unavailable() const {
  uint64_t n = 0;
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (state_[i] == State::needed && availability_[i] == 0 && has_all_peers_ == 0) ++n;
  }
  return n;
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
