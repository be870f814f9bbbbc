// XferBehaviour's fairness: which downloader streams are served now (docs/xfer.md, CHOKE).
#include <algorithm>

#include "behaviour/xfer_behaviour.h"

namespace agora::behaviour {

// A stream that has its skeleton: served at once while a slot is free, else choked until a
// rechoke (or an optimistic turn) gives it one.
void XferBehaviour::admit(host::StreamRef ref, Served& st, Instant now) {
  st.ready = true;
  size_t unchoked = 0;
  for (const auto& [r, other] : served_)
    if (other.ready && !other.choked && !other.closing && r != ref) ++unchoked;
  if (unchoked >= config_.upload_slots) set_choked(ref, st, true, now);
  if (!next_rechoke_) next_rechoke_ = now + config_.rechoke_interval;
}

void XferBehaviour::set_choked(host::StreamRef ref, Served& st, bool choked, Instant now) {
  if (st.choked == choked) return;
  st.choked = choked;
  actions_.push_back(host::SendMessage{ref, xfer::encode_choke(choked), 0});
  if (choked) {
    st.queue.clear();  // the downloader asks others; what is already written still arrives
    st.queued_leaves = 0;
    st.optimistic = false;
  } else {
    st.last_unchoked = now;
    st.deadline = now + config_.stall_timeout;
  }
}

// Reciprocity first, then whoever waited longest (so a seed, where every score is 0, rotates).
void XferBehaviour::sort_by_claim(std::vector<host::StreamRef>& streams) const {
  auto score = [this](const Served& st) {
    auto it = received_from_.find(st.peer);
    return it == received_from_.end() ? 0.0 : it->second;
  };
  std::sort(streams.begin(), streams.end(), [&](const auto& a, const auto& b) {
    const Served &x = served_.at(a), &y = served_.at(b);
    if (score(x) != score(y)) return score(x) > score(y);
    return x.last_unchoked < y.last_unchoked;
  });
}

// A slot freed by a stream that ended, or that asks for nothing more, goes at once to the choked
// stream with the best claim, instead of idling until the next rechoke (up to rechoke_interval
// of upload lost; in a swarm, the last downloader waited that long once the others were done).
void XferBehaviour::fill_free_slots(Instant now) {
  size_t unchoked = 0;
  std::vector<host::StreamRef> waiting;
  for (auto& [ref, st] : served_) {
    if (!st.ready || st.closing || st.peer_closed) continue;
    if (st.choked) {
      waiting.push_back(ref);
    } else {
      ++unchoked;
    }
  }
  sort_by_claim(waiting);
  for (const host::StreamRef& ref : waiting) {
    if (unchoked >= config_.upload_slots) break;
    Served& st = served_.at(ref);
    set_choked(ref, st, false, now);
    send_leaves(ref, st, now);
    ++unchoked;
  }
}

void XferBehaviour::rechoke(Instant now) {
  ++rechokes_;
  std::vector<host::StreamRef> candidates;
  for (auto& [ref, st] : served_)
    if (st.ready && !st.closing && !st.peer_closed) candidates.push_back(ref);
  sort_by_claim(candidates);
  const size_t slots = std::max<size_t>(config_.upload_slots, 1);
  const size_t regular = candidates.size() <= slots ? candidates.size() : slots - 1;
  // The optimistic slot stays with its stream until its turn is over.
  std::optional<host::StreamRef> optimistic;
  bool rotate = config_.optimistic_every == 0 || rechokes_ % config_.optimistic_every == 0;
  for (size_t i = regular; i < candidates.size() && !rotate; ++i)
    if (served_.at(candidates[i]).optimistic) optimistic = candidates[i];
  if (!optimistic && regular < candidates.size()) {
    auto waited_longest = std::min_element(candidates.begin() + ptrdiff_t(regular),
                                           candidates.end(), [&](const auto& a, const auto& b) {
                                             const Served &x = served_.at(a), &y = served_.at(b);
                                             if (x.optimistic != y.optimistic)
                                               return !x.optimistic;  // a new turn goes elsewhere
                                             return x.last_unchoked < y.last_unchoked;
                                           });
    optimistic = *waited_longest;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    Served& st = served_.at(candidates[i]);
    bool serve = i < regular || candidates[i] == optimistic;
    st.optimistic = candidates[i] == optimistic;
    set_choked(candidates[i], st, !serve, now);
    if (serve) send_leaves(candidates[i], st, now);
  }
  // "Lately": what a peer sent counts half as much at each rechoke.
  for (auto it = received_from_.begin(); it != received_from_.end();) {
    it->second /= 2;
    it = it->second < 1 ? received_from_.erase(it) : std::next(it);
  }
}

}  // namespace agora::behaviour
