// The spans of a traced bitswap fetch (docs/tracing.md). Bitswap has no stream per request to
// record: one long stream per peer carries the wants of every fetch. So a fetch whose root is an
// active key of the span recorder (a traced get, cat or ls) gets one span per peer that sent it
// blocks: from that peer's first block to its last, with their bytes and count, under the
// operation's context. Recorded when the fetch ends, with its outcome. At most peers_max peers
// are followed (the rest are counted in the last span's detail); nothing is kept untraced.
#pragma once

#include <map>
#include <optional>

#include "codec/cid.h"
#include "codec/peer_id.h"
#include "observe/spans.h"

namespace agora {

class BitswapFetchSpans {
 public:
  static constexpr size_t kPeersMax = 64;
  // Follows nothing unless `spans` is set and `root` is traced.
  BitswapFetchSpans(observe::SpanRecorder* spans, const std::optional<Cid>& root);
  ~BitswapFetchSpans();  // records the spans not recorded yet, "aborted"
  void on_block(const PeerId& from, size_t bytes);
  // Records the spans with this outcome ("ok", or an Errc name and its message).
  void finish(std::string outcome, std::string detail = {});

 private:
  struct PeerBlocks {
    uint64_t blocks = 0, bytes = 0;
    int64_t first_ns = 0, last_ns = 0;
  };
  observe::SpanRecorder* spans_ = nullptr;
  std::optional<TraceContext> context_;
  std::string key_;
  std::map<std::string, PeerBlocks> peers_;
  uint64_t peers_untracked_ = 0;
  bool finished_ = false;
};

}  // namespace agora
