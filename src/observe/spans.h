// The span recorder: what this node did for a trace, and what it served to other peers
// (docs/tracing.md). A span is one operation (a get, a DHT lookup) or one stream a behaviour
// opened or served, with the peer, protocol, key (CID or peer id), bytes each way, outcome and
// wall-clock times.
//
// - Spans go into one bounded ring (spans_max; the oldest is overwritten and counted in
//   dropped()). A query scans at most the ring. Each span recorded gets the next sequence number
//   (0, 1, ...): since() reads the spans recorded from one on, for the OTLP exporter
//   (observe/otlp_exporter.h), and says how many of them are gone.
// - A per-peer budget for served spans: at most served_per_peer_max spans of streams served to
//   one peer (by its remote peer id) are held. Recording one more evicts that peer's own oldest
//   served span, not the ring's oldest, so a peer that opens many cheap streams cycles through
//   its own share and cannot push out the spans of operations, requests or other peers. The
//   newest are kept (not the first ones, as dropping the new span would): a peer that flooded
//   and then asks over diag about its latest request still finds it. Eviction from the middle
//   is why the ring is a map by sequence number, not an array: removing any span is O(log n)
//   and the order stays the recording order. What that costs: an index of the served spans held
//   per peer (a set of sequence numbers each), bounded by the spans held, so by spans_max.
// - A served span of a standard protocol (bitswap, kad, identify, ping) has no trace id: the
//   requester's trace never travelled. It is found by requester, time and key (served_to).
// - ActiveTraces maps the key of each traced operation running now (a CID's multihash, a peer
//   id's bytes) to its context, so the requests made for that key (a DHT lookup, the xfer streams
//   of a download) hang under it without every call in between carrying it. Bounded: at most
//   active_max keys (later ones are not traced).
//
// Thread-safe: the node's loop records, the API's threads read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "agora/result.h"
#include "base/bytes.h"
#include "base/trace_context.h"

namespace agora::observe {

class SpanRecorder;

struct Span {
  TraceId trace_id{};  // all zero: a request served with no trace context (standard protocols)
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero: a root
  std::string name;         // get, dht.findprovs, stream, served, ...
  std::string peer;         // the peer talked to or served; empty for an operation
  std::string protocol;
  std::string key;       // the CID or peer id it was about; may be empty
  bool inbound = false;  // served for `peer`
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  // "ok"; for a stream also "aborted" (by its own behaviour) or "reset" (by the peer, or with
  // its connection); else the error's kind (an Errc name).
  std::string outcome = "ok";
  std::string detail;    // the error's message
  int64_t start_ns = 0;  // wall clock, Unix ns
  int64_t end_ns = 0;
};

// {"trace_id", "span_id", "parent_span_id" (absent for a root), "name", "peer", "protocol", "key",
// "direction" (inbound: served for the peer; outbound), "bytes_sent", "bytes_received",
// "outcome", "detail", "start_ns", "end_ns"}; ids as lowercase hex, absent when all zero.
nlohmann::json to_json(const Span& span);

// The clock spans are stamped with: wall time, Unix ns (it is compared across peers).
int64_t wall_clock_ns();

// The span of a stream a runtime serves (`inbound`, name "served") or opens for a traced
// request (name "request", under `context`, about `key`), begun at `start_ns`. Both runtimes
// (runtime/asio's BehaviourHost, runtime/sim's MemoryNetwork) record streams with these.
Span stream_span(SpanId id, std::string peer, std::string protocol, bool inbound,
                 const std::optional<TraceContext>& context, std::string key, int64_t start_ns);
// Ends it at `end_ns` with its outcome and records it: "aborted" (by its own behaviour, which
// says why), "ok" (closed by both sides), "reset" (by the peer or with the connection), or the
// error's kind; the error's message is the detail of any outcome but "ok".
void finish_stream_span(SpanRecorder& spans, Span span, const Error& why, bool reset, bool aborted,
                        int64_t end_ns);

struct SpanRecorderConfig {
  size_t spans_max = 16384;  // 5 to 11 MiB: a few hundred bytes each (SpanRecorderBench)
  size_t active_max = 1024;
  size_t served_per_peer_max = 1024;  // spans of streams served to one peer; 0 is treated as 1
};

// What since() read: the spans recorded from sequence number `from` on that are still held.
struct SpanBatch {
  std::vector<Span> spans;  // oldest first, at most the read's `max`
  uint64_t first = 0;       // the first one's sequence number; `next` when there is none
  uint64_t next = 0;        // where the next read starts: after the last one returned
  // Spans recorded in [from, next) that are gone (overwritten or evicted before this read); of
  // them, first - from were before the first one returned.
  uint64_t missed = 0;
};

// Which served spans one peer may learn of: its own requests only.
struct ServedQuery {
  std::string requester;       // the asking connection's authenticated peer id
  TraceId trace_id{};          // its spans with this trace id, whenever they were
  std::set<std::string> keys;  // and its untraced ones about these keys (empty: any key)
  int64_t from_ns = 0;         // that overlap [from_ns, to_ns]
  int64_t to_ns = 0;
  size_t max = 1000;
  std::string skip_protocol;  // not answered: the diag protocol's own streams
};

class SpanRecorder {
 public:
  using Entropy = std::function<void(std::span<uint8_t>)>;
  SpanRecorder(SpanRecorderConfig config, Entropy entropy);

  void record(Span span);
  // Every span of the trace this node recorded, oldest first.
  std::vector<Span> trace(const TraceId& id) const;
  // Spans served to `q.requester` that match; `truncated` says more matched than `q.max`.
  std::vector<Span> served_to(const ServedQuery& q, bool& truncated) const;
  // The newest traces' root spans here (those whose parent is not recorded here), newest first.
  std::vector<Span> recent_roots(size_t limit) const;
  uint64_t dropped() const;  // spans overwritten or evicted by the per-peer budget
  size_t size() const;
  uint64_t recorded() const;  // spans recorded so far: the next one's sequence number
  // The spans recorded from sequence number `from` on, at most `max` (>= 1) of them.
  SpanBatch since(uint64_t from, size_t max) const;

  SpanId new_span_id();
  TraceId new_trace_id();

  // Traced operations running now, by key bytes.
  // `label`: the key as people read it (a CID, a peer id), for the spans of its requests.
  bool activate(const Bytes& key, const TraceContext& context, std::string label = "");
  void deactivate(const Bytes& key, const TraceContext& context);
  std::optional<TraceContext> context_for(BytesView key) const;
  std::string label_for(BytesView key) const;

 private:
  template <class F>
  void each(F&& f) const;  // oldest first, under the lock
  void evict_locked(uint64_t seq);

  SpanRecorderConfig config_;
  Entropy entropy_;
  mutable std::mutex mu_;
  std::map<uint64_t, Span> ring_;  // by sequence number: oldest first, at most spans_max
  uint64_t next_seq_ = 0;
  uint64_t dropped_ = 0;
  // The sequence numbers of the served spans held, by the peer served: the per-peer budget.
  std::map<std::string, std::set<uint64_t>, std::less<>> served_;
  struct Active {
    TraceContext context;
    std::string label;
  };
  std::map<Bytes, Active> active_;
};

}  // namespace agora::observe
