// XferBehaviour's downloader side: a stream per serving peer, the skeleton verified as it
// arrives, every leaf checked, and the scheduler's WANTs and CANCELs sent.
#include "behaviour/xfer_behaviour.h"
#include "codec/dag_pb.h"
#include "codec/unixfs_pb.h"

namespace agora::behaviour {

using xfer::Frame;
using xfer::FrameType;
using xfer::LeafRange;

Result<XferDownloadId> XferBehaviour::download(const Cid& root, const std::vector<PeerId>& peers,
                                               bool sequential, Instant,
                                               std::optional<host::StreamTrace> trace) {
  if (downloads_.size() >= config_.downloads_max)
    return make_error(Errc::limit, "downloads_max xfer downloads already running (" +
                                       std::to_string(config_.downloads_max) + ")");
  if (peers.empty()) return make_error(Errc::not_found, "no peer to ask over xfer");
  XferDownloadId id = next_id_++;
  Fetch& f = downloads_[id];
  f.root = root;
  f.sequential = sequential;
  f.trace = std::move(trace);
  for (const PeerId& peer : peers) open_getter(id, peer);
  return id;
}

void XferBehaviour::add_peer(XferDownloadId id, const PeerId& peer, Instant) {
  auto it = downloads_.find(id);
  if (it == downloads_.end()) return;
  for (auto& [ref, g] : it->second.streams)
    if (g->peer == peer) return;  // asked already
  for (auto& [tag, opening] : opening_)
    if (opening.first == id && opening.second == peer) return;  // being asked
  open_getter(id, peer);
}

void XferBehaviour::open_getter(XferDownloadId id, const PeerId& peer) {
  uint64_t tag = next_tag_++;
  opening_[tag] = {id, peer};
  Fetch& f = downloads_.at(id);
  ++f.opening;
  actions_.push_back(host::OpenStream{.peer = peer,
                                      .protocol = std::string(kXferTracedProtocol),
                                      .tag = tag,
                                      .connection = 0,
                                      .addrs = {},
                                      .fallback_protocols = {std::string(kXferProtocol)},
                                      .trace = f.trace});
}

void XferBehaviour::on_stream_open_failed(const host::StreamOpenFailed& failed, Instant) {
  auto it = opening_.find(failed.tag);
  if (it == opening_.end()) return;
  XferDownloadId id = it->second.first;
  opening_.erase(it);
  auto f = downloads_.find(id);
  if (f == downloads_.end()) return;
  --f->second.opening;
  f->second.last_error = failed.error;
  check_stuck(id);
}

void XferBehaviour::getter_opened(const host::StreamOpened& s, Instant now) {
  auto it = opening_.find(s.tag);
  auto f = it == opening_.end() ? downloads_.end() : downloads_.find(it->second.first);
  if (f == downloads_.end()) {
    if (it != opening_.end()) opening_.erase(it);
    actions_.push_back(host::AbortStream{s.ref, "no xfer download waits for this stream"});
    return;
  }
  opening_.erase(it);
  --f->second.opening;
  Getter& g = getters_[s.ref];
  g.id = f->first;
  g.key = next_key_++;
  g.peer = s.peer;
  g.reader = xfer::FrameReader(xfer::FrameReader::Side::downloader, config_.limits);
  if (!f->second.layout) g.skeleton.emplace(f->second.root, config_.limits);
  g.deadline = now + config_.stall_timeout;
  f->second.streams[s.ref] = &g;
  std::optional<TraceContext> context;
  if (s.protocol == kXferTracedProtocol && f->second.trace) context = f->second.trace->context;
  actions_.push_back(host::SendMessage{s.ref, xfer::encode_open(f->second.root, context), 0});
  actions_.push_back(host::ReadBytes{s.ref, config_.read_credit_bytes});
}

void XferBehaviour::getter_bytes(host::StreamRef ref, Getter& g, BytesView data, Instant now) {
  const size_t n = data.size();
  g.deadline = now + config_.stall_timeout;
  while (!data.empty()) {
    auto f = downloads_.find(g.id);
    if (f == downloads_.end()) return;
    auto frame = g.reader.next(data);
    Status handled = frame ? Status{} : Status(frame.error());
    if (handled && *frame) handled = getter_frame(ref, g, f->second, std::move(**frame), now);
    if (!handled) {
      PeerId peer = g.peer;
      misbehaved(ref, peer, handled.error().message);
      return getter_gone(ref, handled.error(), now);
    }
    if (!getters_.count(ref)) return;  // ended by the frame (ERROR, or the download is done)
  }
  actions_.push_back(host::ReadBytes{ref, n});
}

Status XferBehaviour::getter_frame(host::StreamRef ref, Getter& g, Fetch& f, Frame frame,
                                   Instant now) {
  switch (frame.type) {
    case FrameType::node:
      return getter_node(g, f, std::move(frame.body));
    case FrameType::skeleton_end:
      AGORA_TRY(getter_skeleton_end(g, f, frame.body, now));
      if (f.schedule) schedule_getter(ref, g, f, now);
      return {};
    case FrameType::have_all:
    case FrameType::have: {
      if (!g.skeleton_done) return make_error(Errc::protocol, "a HAVE before the skeleton");
      if (frame.type == FrameType::have_all) {
        g.has_all = true;
        if (g.scheduled) f.schedule->peer_has_all(g.key);
      } else {
        AGORA_ASSIGN(xfer::HaveBits have, xfer::decode_have(frame.body));
        for (size_t i = 0; i < have.bits.size() * 8; ++i) {
          uint64_t index = have.first + i;
          if (index >= g.have_bits.size() || index < have.first) break;
          if (have.bits[i / 8] & (1u << (i % 8))) g.have_bits[index] = true;
        }
        if (g.scheduled) f.schedule->peer_has(g.key, have);
      }
      if (g.scheduled) pump_wants(ref, g, f, now);
      return {};
    }
    case FrameType::leaf:
      return getter_leaf(ref, g, f, std::move(frame), now);
    case FrameType::choke:
    case FrameType::unchoke:
      g.choked = frame.type == FrameType::choke;
      g.deadline = now + config_.stall_timeout;
      if (g.scheduled) {
        f.schedule->set_choked(g.key, g.choked);
        for (auto& [other_ref, other] : f.streams)  // what it held goes to the others
          if (other->scheduled) pump_wants(other_ref, *other, f, now);
      }
      return {};
    case FrameType::missing: {
      if (!g.scheduled) return make_error(Errc::protocol, "a MISSING before any WANT");
      AGORA_ASSIGN(std::vector<LeafRange> ranges, xfer::decode_ranges(frame.body, config_.limits));
      f.schedule->on_missing(g.key, ranges);
      for (auto& [other_ref, other] : f.streams)
        if (other->scheduled) pump_wants(other_ref, *other, f, now);
      return {};
    }
    case FrameType::error: {
      AGORA_ASSIGN(xfer::ErrorFrame e, xfer::decode_error(frame.body, config_.limits));
      Error why = make_error(Errc::not_found, std::string("peer answered ") +
                                                  xfer::error_code_name(e.code) + ": " + e.message);
      if (e.code == xfer::ErrorCode::not_a_file) {
        finish(g.id, make_error(Errc::unsupported, "not a file: " + e.message));
        return {};
      }
      actions_.push_back(host::AbortStream{ref, "the peer answered ERROR"});
      getter_gone(ref, why, now);
      return {};
    }
    default:
      return make_error(Errc::protocol, "unexpected frame");
  }
}

Status XferBehaviour::getter_node(Getter& g, Fetch& f, Bytes body) {
  if (g.skeleton_done) return make_error(Errc::protocol, "a NODE after SKELETON_END");
  if (g.skeleton) return g.skeleton->on_node(std::move(body));
  // The download's layout was verified from another stream: this one must send the same nodes.
  if (g.nodes_seen >= f.layout->nodes.size() || f.layout->nodes[g.nodes_seen].block != body)
    return make_error(Errc::protocol, "a NODE that is not the file's next skeleton node");
  ++g.nodes_seen;
  return {};
}

Status XferBehaviour::getter_skeleton_end(Getter& g, Fetch& f, BytesView body, Instant now) {
  if (g.skeleton_done) return make_error(Errc::protocol, "a second SKELETON_END");
  AGORA_ASSIGN(xfer::SkeletonEnd end, xfer::decode_skeleton_end(body));
  if (g.skeleton) {
    AGORA_ASSIGN(xfer::FileLayout layout, g.skeleton->finish(end));
    g.skeleton.reset();
    if (!f.layout) {
      f.layout = std::make_shared<const xfer::FileLayout>(std::move(layout));
      emit(XferSkeleton{g.id, f.layout});
      skeleton_known(f.root, f.layout, now);
    }
  } else if (g.nodes_seen != f.layout->nodes.size() || end != f.layout->end()) {
    return make_error(Errc::protocol, "SKELETON_END does not match the file's skeleton");
  }
  g.skeleton_done = true;
  g.have_bits.assign(f.layout->leaves.size(), false);
  return {};
}

void XferBehaviour::start(XferDownloadId id, std::vector<bool> have, uint64_t start_leaf,
                          Instant now) {
  auto it = downloads_.find(id);
  if (it == downloads_.end() || !it->second.layout || it->second.schedule) return;
  Fetch& f = it->second;
  std::vector<uint64_t> sizes;
  sizes.reserve(f.layout->leaves.size());
  for (const xfer::LeafSpan& leaf : f.layout->leaves)
    sizes.push_back(std::max<uint64_t>(leaf.size, 1));
  xfer::DownloadConfig dc = config_.download;
  dc.sequential = f.sequential;
  dc.start_leaf = start_leaf;
  f.schedule.emplace(std::move(sizes), dc, std::move(have));
  if (f.schedule->done()) return finish(id, std::nullopt);
  std::vector<host::StreamRef> ready;
  for (auto& [ref, g] : f.streams)
    if (g->skeleton_done) ready.push_back(ref);
  for (const host::StreamRef& ref : ready)
    if (getters_.count(ref)) schedule_getter(ref, getters_.at(ref), f, now);
}

void XferBehaviour::schedule_getter(host::StreamRef ref, Getter& g, Fetch& f, Instant now) {
  if (g.scheduled) return;
  if (!f.schedule->add_peer(g.key, now)) {
    actions_.push_back(host::AbortStream{ref, "the download has enough peers"});
    f.streams.erase(ref);
    getters_.erase(ref);
    return;
  }
  g.scheduled = true;
  if (g.choked) f.schedule->set_choked(g.key, true);
  if (g.has_all) {
    f.schedule->peer_has_all(g.key);
  } else {
    xfer::HaveBits have{0, Bytes((g.have_bits.size() + 7) / 8, 0)};
    for (size_t i = 0; i < g.have_bits.size(); ++i)
      if (g.have_bits[i]) have.bits[i / 8] |= uint8_t(1u << (i % 8));
    if (!have.bits.empty()) f.schedule->peer_has(g.key, have);
  }
  pump_wants(ref, g, f, now);
}

void XferBehaviour::pump_wants(host::StreamRef ref, Getter& g, Fetch& f, Instant now) {
  xfer::PeerWants w = f.schedule->take(g.key, now);
  auto send = [&](FrameType type, const std::vector<LeafRange>& ranges) {
    for (size_t i = 0; i < ranges.size(); i += config_.limits.ranges_per_frame_max) {
      size_t n = std::min(config_.limits.ranges_per_frame_max, ranges.size() - i);
      actions_.push_back(
          host::SendMessage{ref, xfer::encode_ranges(type, std::span(ranges).subspan(i, n)), 0});
    }
  };
  send(FrameType::cancel, w.cancel);
  send(FrameType::want, w.want);
  if (!w.want.empty()) g.deadline = now + config_.stall_timeout;
}

// Checks a leaf against its CID and the size its parent promised; a dag-pb leaf's file bytes are
// its UnixFS data.
static Result<std::optional<Bytes>> check_leaf(const xfer::LeafSpan& span, BytesView block) {
  if (!span.cid.matches(block))
    return make_error(Errc::protocol, "leaf " + span.cid.to_string() + " does not match its CID");
  if (span.cid.codec() == kCodecRaw) {
    if (block.size() != span.size)
      return make_error(Errc::protocol, "leaf " + span.cid.to_string() + " has the wrong size");
    return std::optional<Bytes>();
  }
  auto pb = decode_dag_pb(block);
  if (!pb || !pb->links.empty() || !pb->data)
    return make_error(Errc::protocol, span.cid.to_string() + " is no leaf");
  auto fs = decode_unixfs_data(*pb->data);
  if (!fs || (fs->type != UnixfsType::file && fs->type != UnixfsType::raw) ||
      !fs->blocksizes.empty() || fs->data.size() != span.size)
    return make_error(Errc::protocol, "leaf " + span.cid.to_string() + " is not the file's data");
  return std::optional<Bytes>(std::move(fs->data));
}

Status XferBehaviour::getter_leaf(host::StreamRef ref, Getter& g, Fetch& f, Frame frame,
                                  Instant now) {
  if (!g.scheduled || frame.index >= f.layout->leaves.size())
    return make_error(Errc::protocol, "a LEAF that was not asked for");
  if (!f.schedule->is_asked(g.key, frame.index)) {
    // Sent before our CANCEL reached the peer (endgame): late, not a lie.
    if (f.schedule->take_late(g.key, frame.index)) {
      ++stats_.leaves_received;
      stats_.leaf_bytes_received += frame.body.size();
      return {};
    }
    return make_error(Errc::protocol, "LEAF " + std::to_string(frame.index) + " was not asked for");
  }
  // Checked before it counts: a leaf that fails stays asked of this peer, which is cut off, and
  // so goes back to the others.
  bool duplicate = f.schedule->has(frame.index);
  std::optional<Bytes> data;
  if (!duplicate) {
    AGORA_ASSIGN(data, check_leaf(f.layout->leaves[frame.index], frame.body));
  }
  f.schedule->on_leaf(g.key, frame.index, now);
  ++stats_.leaves_received;
  stats_.leaf_bytes_received += frame.body.size();
  received_from_[g.peer] += double(frame.body.size());  // reciprocity, for our own server
  if (!next_rechoke_) next_rechoke_ = now + config_.rechoke_interval;  // decays it, serving or not
  if (!duplicate) {
    emit(XferLeaf{g.id, frame.index, g.peer, std::make_shared<const Bytes>(std::move(frame.body)),
                  std::move(data)});
  }
  if (f.schedule->done()) {
    finish(g.id, std::nullopt);
    return {};
  }
  for (auto& [other_ref, other] : f.streams)
    if (other->scheduled) pump_wants(other_ref, *other, f, now);
  (void)ref;
  return {};
}

void XferBehaviour::getter_gone(host::StreamRef ref, const Error& why, Instant now) {
  auto it = getters_.find(ref);
  if (it == getters_.end()) return;
  XferDownloadId id = it->second.id;
  xfer::PeerKey key = it->second.key;
  bool scheduled = it->second.scheduled;
  getters_.erase(it);
  auto f = downloads_.find(id);
  if (f == downloads_.end()) return;
  f->second.streams.erase(ref);
  f->second.last_error = why;
  if (scheduled) f->second.schedule->remove_peer(key);
  check_stuck(id);
  if (!downloads_.count(id)) return;
  for (auto& [other_ref, other] : f->second.streams)
    if (other->scheduled) pump_wants(other_ref, *other, f->second, now);
}

void XferBehaviour::check_stuck(XferDownloadId id) {
  auto it = downloads_.find(id);
  if (it == downloads_.end()) return;
  Fetch& f = it->second;
  if (!f.streams.empty() || f.opening > 0) return;
  finish(id,
         make_error(f.last_error.code, "no peer left to fetch " + f.root.to_string() +
                                           " from over xfer (last: " + f.last_error.message + ")"));
}

void XferBehaviour::finish(XferDownloadId id, std::optional<Error> error) {
  auto it = downloads_.find(id);
  if (it == downloads_.end()) return;
  for (auto& [ref, g] : it->second.streams) {
    actions_.push_back(host::AbortStream{ref, "the download has ended"});
    getters_.erase(ref);
  }
  downloads_.erase(it);
  if (error) {
    emit(XferFailed{id, std::move(*error)});
  } else {
    emit(XferDone{id});
  }
}

void XferBehaviour::cancel(XferDownloadId id) {
  auto it = downloads_.find(id);
  if (it == downloads_.end()) return;
  for (auto& [ref, g] : it->second.streams) {
    actions_.push_back(host::AbortStream{ref, "the download was cancelled"});
    getters_.erase(ref);
  }
  downloads_.erase(it);
}

std::vector<std::pair<PeerId, bool>> XferBehaviour::sources(XferDownloadId id) const {
  std::vector<std::pair<PeerId, bool>> out;
  auto it = downloads_.find(id);
  if (it == downloads_.end()) return out;
  for (const auto& [ref, g] : it->second.streams) out.emplace_back(g->peer, g->choked);
  return out;
}

}  // namespace agora::behaviour
