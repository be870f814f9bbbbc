#include "node/bitswap_spans.h"

#include "codec/multihash.h"
#include "proto/bitswap/message.h"

namespace agora {

BitswapFetchSpans::BitswapFetchSpans(observe::SpanRecorder* spans, const std::optional<Cid>& root)
    : spans_(spans) {
  if (!spans_ || !root) return;
  context_ = spans_->context_for(encode_multihash(root->hash()));
  key_ = root->to_string();
}

BitswapFetchSpans::~BitswapFetchSpans() {
  if (!finished_) finish("aborted");
}

void BitswapFetchSpans::on_block(const PeerId& from, size_t bytes) {
  if (!context_) return;
  const int64_t now = observe::wall_clock_ns();
  std::string peer = from.to_string();
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= kPeersMax) {
      ++peers_untracked_;
      return;
    }
    it = peers_.emplace(std::move(peer), PeerBlocks{.first_ns = now}).first;
  }
  ++it->second.blocks;
  it->second.bytes += bytes;
  it->second.last_ns = now;
}

void BitswapFetchSpans::finish(std::string outcome, std::string detail) {
  finished_ = true;
  if (!context_) return;
  for (const auto& [peer, got] : peers_) {
    observe::Span s;
    s.trace_id = context_->trace_id;
    s.span_id = spans_->new_span_id();
    s.parent_span_id = context_->span_id;
    s.name = "bitswap.blocks";
    s.peer = peer;
    s.protocol = std::string(bitswap::kProtocolId);
    s.key = key_;
    s.bytes_received = got.bytes;
    s.outcome = outcome;
    s.detail = std::to_string(got.blocks) + " blocks" + (detail.empty() ? "" : "; " + detail);
    if (peers_untracked_ > 0)
      s.detail += "; " + std::to_string(peers_untracked_) + " more peers not followed";
    s.start_ns = got.first_ns;
    s.end_ns = got.last_ns;
    spans_->record(std::move(s));
  }
  peers_.clear();
}

}  // namespace agora
