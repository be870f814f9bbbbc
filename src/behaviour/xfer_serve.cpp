// XferBehaviour's server side: OPEN, the skeleton and have-map, then the leaves asked for.
#include <algorithm>

#include "behaviour/xfer_behaviour.h"

namespace agora::behaviour {

using xfer::ErrorCode;
using xfer::Frame;
using xfer::FrameType;
using xfer::LeafRange;

void XferBehaviour::serve(const host::StreamOpened& s, Instant now) {
  size_t& mine = served_by_peer_[s.peer];
  if (served_.size() >= config_.streams_max || mine >= config_.streams_per_peer_max) {
    if (mine == 0) served_by_peer_.erase(s.peer);
    ++stats_.streams_refused;
    Bytes busy = xfer::encode_error({ErrorCode::busy, "too many xfer streams"});
    actions_.push_back(host::SendMessage{s.ref, std::move(busy), 0});
    actions_.push_back(host::CloseWrite{s.ref});
    return;
  }
  ++mine;
  ++stats_.streams_served;
  Served& st = served_[s.ref];
  st.peer = s.peer;
  st.traced = s.protocol == kXferTracedProtocol;
  st.reader = xfer::FrameReader(xfer::FrameReader::Side::server, config_.limits);
  st.deadline = now + config_.stall_timeout;
  actions_.push_back(host::ReadBytes{s.ref, config_.limits.control_body_bytes_max});
}

void XferBehaviour::served_bytes(host::StreamRef ref, Served& st, BytesView data, Instant now) {
  const size_t n = data.size();
  if (st.closing) return;
  st.deadline = now + config_.stall_timeout;
  while (!data.empty()) {
    auto frame = st.reader.next(data);
    Status handled = frame ? Status{} : Status(frame.error());
    if (handled && *frame) handled = served_frame(ref, st, std::move(**frame), now);
    if (!handled) {
      send_error(ref, st, ErrorCode::protocol, handled.error().message);
      return misbehaved(ref, st.peer, handled.error().message);
    }
    if (st.closing) return;
  }
  actions_.push_back(host::ReadBytes{ref, n});
  send_leaves(ref, st, now);
}

Status XferBehaviour::served_frame(host::StreamRef ref, Served& st, Frame frame, Instant now) {
  if (frame.type == FrameType::open) {
    if (st.layout || st.waiting_for) return make_error(Errc::protocol, "a second OPEN");
    xfer::OpenRequest open;
    if (st.traced) {
      AGORA_ASSIGN(open, xfer::decode_open_traced(frame.body));
    } else {
      AGORA_ASSIGN(open.root, xfer::decode_open(frame.body));
    }
    // The runtime's span of this stream: what it is about, and whose trace it serves.
    actions_.push_back(host::TraceStream{ref, open.trace, open.root.to_string()});
    open_file(ref, st, open.root, now);
    return {};
  }
  if (!st.layout && !st.waiting_for)
    return make_error(Errc::protocol, "a WANT or CANCEL before OPEN");
  if (!st.layout) return make_error(Errc::protocol, "a WANT or CANCEL before the skeleton");
  AGORA_ASSIGN(std::vector<LeafRange> ranges, xfer::decode_ranges(frame.body, config_.limits));
  if (frame.type == FrameType::cancel) {
    cancel_queued(st, ranges);
    return {};
  }
  for (const LeafRange& r : ranges) {
    if (r.first + r.count > st.layout->leaves.size())
      return make_error(Errc::protocol, "WANT past the file's last leaf");
    if (st.choked) continue;  // sent before our CHOKE reached it: dropped
    if (r.first < st.asked_end) st.in_file_order = false;
    st.asked_end = std::max(st.asked_end, r.first + r.count);
    st.queued_leaves += r.count;
    if (st.queued_leaves > config_.limits.leaves_in_flight_max)
      return make_error(Errc::protocol, "more than " +
                                            std::to_string(config_.limits.leaves_in_flight_max) +
                                            " leaves asked and not answered");
    st.queue.push_back(r);
  }
  return {};
}

void XferBehaviour::open_file(host::StreamRef ref, Served& st, const Cid& root, Instant now) {
  auto layout = blocks_.layout(root);
  if (!layout && layout.error().code == Errc::not_found) {
    // Peers still downloading serve what they hold: the layout of our own download of it.
    for (auto& [id, f] : downloads_) {
      if (f.root != root) continue;
      if (!f.layout) {
        st.waiting_for = root;
        return;
      }
      layout = f.layout;
      break;
    }
  }
  if (!layout) {
    ErrorCode code = layout.error().code == Errc::unsupported ? ErrorCode::not_a_file
                     : layout.error().code == Errc::too_large ? ErrorCode::too_large
                                                              : ErrorCode::not_found;
    return send_error(ref, st, code, layout.error().message);
  }
  st.layout = *layout;
  send_skeleton(ref, st);
  admit(ref, st, now);
}

void XferBehaviour::skeleton_known(const Cid& root,
                                   const std::shared_ptr<const xfer::FileLayout>& layout,
                                   Instant now) {
  for (auto& [ref, st] : served_) {
    if (!st.waiting_for || *st.waiting_for != root) continue;
    st.waiting_for.reset();
    st.layout = layout;
    send_skeleton(ref, st);
    admit(ref, st, now);
  }
}

// NODE frames in pre-order, SKELETON_END, then HAVE_ALL or HAVE frames over every leaf.
void XferBehaviour::send_skeleton(host::StreamRef ref, Served& st) {
  const auto& layout = st.layout;
  for (const xfer::SkeletonNode& node : layout->nodes) {
    actions_.push_back(host::SendMessage{ref, xfer::encode_node_header(node.block.size()), 0});
    // An aliasing pointer: the layout (shared with the cache) stays alive while the runtime holds
    // the slice, and no node is copied.
    std::shared_ptr<const Bytes> body(layout, &node.block);
    actions_.push_back(host::SendBytes{ref, {body, 0, node.block.size()}, 0});
  }
  actions_.push_back(host::SendMessage{ref, xfer::encode_skeleton_end(layout->end()), 0});
  std::optional<std::vector<bool>> held = blocks_.holds(*layout);
  if (!held) {
    actions_.push_back(host::SendMessage{ref, xfer::encode_have_all(), 0});
    seed_begin(st);
    return;
  }
  const size_t bits_per_frame = (config_.limits.control_body_bytes_max - 16) * 8;
  for (size_t first = 0; first < held->size(); first += bits_per_frame) {
    xfer::HaveBits have{first, {}};
    size_t end = std::min(held->size(), first + bits_per_frame);
    have.bits.assign((end - first + 7) / 8, 0);
    for (size_t i = first; i < end; ++i)
      if ((*held)[i]) have.bits[(i - first) / 8] |= uint8_t(1u << ((i - first) % 8));
    actions_.push_back(host::SendMessage{ref, xfer::encode_have(have), 0});
  }
}

// Reads and queues leaves while fewer than blocks_queued_max are waiting for the connection.
void XferBehaviour::send_leaves(host::StreamRef ref, Served& st, Instant now) {
  std::vector<LeafRange> missing;
  while (!st.closing && !st.choked && !st.queue.empty() &&
         st.blocks_queued < config_.blocks_queued_max) {
    LeafRange& r = st.queue.front();
    uint64_t index = r.first;
    if (++r.first, --r.count == 0) st.queue.pop_front();
    --st.queued_leaves;
    const xfer::LeafSpan& leaf = st.layout->leaves[index];
    const bool refused = seed_refuses(st, index, now);
    std::optional<Bytes> block;
    if (!refused) block = blocks_.read_leaf(leaf.cid);
    if (!block) {
      if (!missing.empty() && missing.back().first + missing.back().count == index) {
        ++missing.back().count;
      } else {
        missing.push_back({index, 1});
      }
      continue;
    }
    auto body = std::make_shared<const Bytes>(std::move(*block));
    actions_.push_back(host::SendMessage{ref, xfer::encode_leaf_header(index, body->size()), 0});
    actions_.push_back(host::SendBytes{ref, {body, 0, body->size()}, next_token_++});
    ++st.blocks_queued;
    st.queued_sent.emplace_back(index, body->size());
    seed_sent(st, index, now);
    st.deadline = now + config_.stall_timeout;
  }
  for (size_t i = 0; i < missing.size(); i += config_.limits.ranges_per_frame_max) {
    size_t n = std::min(config_.limits.ranges_per_frame_max, missing.size() - i);
    Bytes frame = xfer::encode_ranges(FrameType::missing, std::span(missing).subspan(i, n));
    actions_.push_back(host::SendMessage{ref, std::move(frame), 0});
  }
  if (st.peer_closed && !st.closing && st.queue.empty() && st.blocks_queued == 0) {
    st.closing = true;
    actions_.push_back(host::CloseWrite{ref});
  }
}

void XferBehaviour::cancel_queued(Served& st, const std::vector<LeafRange>& ranges) {
  std::deque<LeafRange> kept;
  for (const LeafRange& q : st.queue) {
    // Split q around every cancelled range (both lists are short: bounded by the limits).
    std::vector<LeafRange> pieces{q};
    for (const LeafRange& c : ranges) {
      std::vector<LeafRange> next;
      for (const LeafRange& p : pieces) {
        uint64_t p_end = p.first + p.count, c_end = c.first + c.count;
        if (c_end <= p.first || c.first >= p_end) {
          next.push_back(p);
          continue;
        }
        if (c.first > p.first) next.push_back({p.first, c.first - p.first});
        if (c_end < p_end) next.push_back({c_end, p_end - c_end});
      }
      pieces = std::move(next);
    }
    for (const LeafRange& p : pieces) kept.push_back(p);
  }
  st.queue = std::move(kept);
  st.queued_leaves = 0;
  for (const LeafRange& q : st.queue) st.queued_leaves += q.count;
}

void XferBehaviour::have_leaves(const Cid& root, const std::vector<uint64_t>& indices) {
  if (indices.empty()) return;
  for (auto& [ref, st] : served_)
    if (st.layout && !st.closing && st.layout->root == root) send_have(ref, indices);
}

// One HAVE per run of nearby leaves (ascending indices): a bitmap from the run's first leaf.
void XferBehaviour::send_have(host::StreamRef ref, const std::vector<uint64_t>& indices) {
  const uint64_t span_max = (config_.limits.control_body_bytes_max - 16) * 8;
  size_t i = 0;
  while (i < indices.size()) {
    xfer::HaveBits have{indices[i], {}};
    for (; i < indices.size() && indices[i] >= have.first && indices[i] - have.first < span_max;
         ++i) {
      uint64_t bit = indices[i] - have.first;
      if (have.bits.size() <= bit / 8) have.bits.resize(bit / 8 + 1, 0);
      have.bits[bit / 8] |= uint8_t(1u << (bit % 8));
    }
    actions_.push_back(host::SendMessage{ref, xfer::encode_have(have), 0});
  }
}

void XferBehaviour::send_error(host::StreamRef ref, Served& st, ErrorCode code,
                               const std::string& why) {
  std::string text = why.substr(0, config_.limits.error_text_bytes_max);
  actions_.push_back(host::SendMessage{ref, xfer::encode_error({code, text}), 0});
  actions_.push_back(host::CloseWrite{ref});
  st.closing = true;
  st.queue.clear();
}

}  // namespace agora::behaviour
