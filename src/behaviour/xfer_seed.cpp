// XferBehaviour's seeding rule, new leaves first (docs/xfer.md, "Seeding"): a node serving a file
// it holds whole sends each leaf to one downloader before it sends any leaf a second time, for as
// long as the downloaders could fetch that leaf from each other, so that its upload goes to
// leaves the swarm does not have yet. The rule only ever answers MISSING to a WANT and offers the
// leaf again later: a downloader that breaks no rule still gets every leaf from the seed. A stream
// that asks in file order (a `cat`, playing as it comes) is never refused: it would stall on the
// leaf, where a rarest-first download just asks for others meanwhile.
//
// Bounds: one Seeding per file served whole (a timestamp per leaf) while streams serve it; per
// stream at most seed_refusals_max refusals waiting to be offered again.
#include <algorithm>

#include "behaviour/xfer_behaviour.h"

namespace agora::behaviour {

void XferBehaviour::seed_begin(Served& st) {
  if (!config_.seed_new_leaves_first || st.seeding) return;
  auto [it, fresh] = seeding_.try_emplace(st.layout->root);
  if (fresh) {
    it->second.sent_at.assign(st.layout->leaves.size(), Instant{});
    it->second.unsent = st.layout->leaves.size();
  }
  ++it->second.streams;
  st.seeding = true;
}

// Whether to answer this WANT with MISSING: the leaf went to another downloader lately and some
// leaf has gone to nobody yet.
bool XferBehaviour::seed_refuses(Served& st, uint64_t index, Instant now) {
  if (!st.seeding || st.in_file_order || st.refused.size() >= config_.seed_refusals_max)
    return false;
  auto it = seeding_.find(st.layout->root);
  if (it == seeding_.end() || it->second.unsent == 0) return false;
  const Instant sent = it->second.sent_at[index];
  if (sent == Instant{} || now - sent >= config_.seed_resend_after) return false;
  st.refused.emplace(sent + config_.seed_resend_after, index);
  ++stats_.seed_refusals;
  return true;
}

// `index` was queued for, or written to, the stream `st`. When the last leaf that had gone to
// nobody goes, every stream of the file hears HAVE_ALL again: from now on everything is served.
void XferBehaviour::seed_sent(const Served& st, uint64_t index, Instant now) {
  if (!st.seeding) return;
  auto it = seeding_.find(st.layout->root);
  if (it == seeding_.end()) return;
  Seeding& s = it->second;
  if (s.sent_at[index] == Instant{} && s.unsent > 0 && --s.unsent == 0) {
    for (auto& [ref, other] : served_) {
      if (!other.seeding || other.refused.empty() || other.layout->root != st.layout->root)
        continue;
      other.refused.clear();
      if (!other.closing) actions_.push_back(host::SendMessage{ref, xfer::encode_have_all(), 0});
    }
  }
  s.sent_at[index] = now;
}

// Refused leaves whose time has come are offered again.
void XferBehaviour::seed_offer_again(Instant now) {
  for (auto& [ref, st] : served_) {
    if (st.refused.empty() || st.refused.begin()->first > now) continue;
    std::vector<uint64_t> due;
    while (!st.refused.empty() && st.refused.begin()->first <= now) {
      due.push_back(st.refused.begin()->second);
      st.refused.erase(st.refused.begin());
    }
    if (st.closing) continue;
    std::sort(due.begin(), due.end());
    send_have(ref, due);
  }
}

void XferBehaviour::seed_end(Served& st) {
  if (!st.seeding) return;
  st.seeding = false;
  auto it = seeding_.find(st.layout->root);
  if (it != seeding_.end() && --it->second.streams == 0) seeding_.erase(it);
}

}  // namespace agora::behaviour
