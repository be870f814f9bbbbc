#include "observe/spans.h"

#include <algorithm>
#include <chrono>

#include "base/text.h"

namespace agora::observe {

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Span stream_span(SpanId id, std::string peer, std::string protocol, bool inbound,
                 const std::optional<TraceContext>& context, std::string key, int64_t start_ns) {
  Span span;
  span.span_id = id;
  span.name = inbound ? "served" : "request";
  span.peer = std::move(peer);
  span.protocol = std::move(protocol);
  span.inbound = inbound;
  span.start_ns = start_ns;
  if (context) {
    span.trace_id = context->trace_id;
    span.parent_span_id = context->span_id;
  }
  span.key = std::move(key);
  return span;
}

void finish_stream_span(SpanRecorder& spans, Span span, const Error& why, bool reset, bool aborted,
                        int64_t end_ns) {
  span.end_ns = end_ns;
  if (aborted) {
    span.outcome = "aborted";
  } else if (why.code == Errc::closed) {
    span.outcome = reset ? "reset" : "ok";
  } else {
    span.outcome = errc_name(why.code);
  }
  if (span.outcome != "ok") span.detail = why.message;
  spans.record(std::move(span));
}

nlohmann::json to_json(const Span& s) {
  nlohmann::json j = {{"span_id", to_hex(s.span_id)},
                      {"name", s.name},
                      {"peer", s.peer},
                      {"protocol", s.protocol},
                      {"key", s.key},
                      {"direction", s.inbound ? "inbound" : "outbound"},
                      {"bytes_sent", s.bytes_sent},
                      {"bytes_received", s.bytes_received},
                      {"outcome", s.outcome},
                      {"detail", s.detail},
                      {"start_ns", s.start_ns},
                      {"end_ns", s.end_ns}};
  if (!is_zero_id(s.trace_id)) j["trace_id"] = to_hex(s.trace_id);
  if (!is_zero_id(s.parent_span_id)) j["parent_span_id"] = to_hex(s.parent_span_id);
  return j;
}

SpanRecorder::SpanRecorder(SpanRecorderConfig config, Entropy entropy)
    : config_(config), entropy_(std::move(entropy)) {
  config_.spans_max = std::max<size_t>(1, config_.spans_max);
  config_.served_per_peer_max = std::max<size_t>(1, config_.served_per_peer_max);
}

void SpanRecorder::record(Span span) {
  for (std::string* field :
       {&span.name, &span.peer, &span.protocol, &span.key, &span.outcome, &span.detail})
    make_clean_text(*field);  // strings from peers go into JSON, onto terminals, to peers
  std::lock_guard lock(mu_);
  const uint64_t seq = next_seq_++;
  const bool served = span.inbound && !span.peer.empty();
  if (served) {  // over its budget, the peer's own oldest served span makes room
    auto mine = served_.find(span.peer);
    if (mine != served_.end() && mine->second.size() >= config_.served_per_peer_max)
      evict_locked(*mine->second.begin());
  }
  if (ring_.size() >= config_.spans_max) evict_locked(ring_.begin()->first);
  if (served) served_[span.peer].insert(seq);
  ring_.emplace_hint(ring_.end(), seq, std::move(span));
}

void SpanRecorder::evict_locked(uint64_t seq) {
  auto it = ring_.find(seq);
  if (it == ring_.end()) return;
  const Span& s = it->second;
  if (s.inbound && !s.peer.empty()) {
    auto mine = served_.find(s.peer);
    if (mine != served_.end()) {
      mine->second.erase(seq);
      if (mine->second.empty()) served_.erase(mine);
    }
  }
  ring_.erase(it);
  ++dropped_;
}

template <class F>
void SpanRecorder::each(F&& f) const {
  for (const auto& [seq, span] : ring_) f(span);
}

std::vector<Span> SpanRecorder::trace(const TraceId& id) const {
  std::vector<Span> out;
  std::lock_guard lock(mu_);
  each([&](const Span& s) {
    if (s.trace_id == id) out.push_back(s);
  });
  return out;
}

std::vector<Span> SpanRecorder::served_to(const ServedQuery& q, bool& truncated) const {
  std::vector<Span> out;
  truncated = false;
  const bool traced = !is_zero_id(q.trace_id);
  std::lock_guard lock(mu_);
  each([&](const Span& s) {
    if (!s.inbound || s.peer != q.requester) return;  // only the asker's own requests
    if (!q.skip_protocol.empty() && s.protocol == q.skip_protocol) return;
    bool match = traced && s.trace_id == q.trace_id;  // the window is for untraced ones
    if (!match && is_zero_id(s.trace_id))
      match = (q.keys.empty() || s.key.empty() || q.keys.contains(s.key)) &&
              s.end_ns >= q.from_ns && s.start_ns <= q.to_ns;
    if (!match) return;
    if (out.size() >= q.max) {
      truncated = true;
      return;
    }
    out.push_back(s);
  });
  return out;
}

std::vector<Span> SpanRecorder::recent_roots(size_t limit) const {
  std::vector<Span> roots;
  std::lock_guard lock(mu_);
  std::set<std::pair<TraceId, SpanId>> spans;  // every traced span held here
  each([&](const Span& s) {
    if (!is_zero_id(s.trace_id)) spans.insert({s.trace_id, s.span_id});
  });
  std::set<TraceId> seen;
  for (auto it = ring_.rbegin(); it != ring_.rend() && roots.size() < limit; ++it) {
    const Span& s = it->second;
    if (is_zero_id(s.trace_id) || s.inbound || seen.contains(s.trace_id)) continue;
    if (!is_zero_id(s.parent_span_id) && spans.contains({s.trace_id, s.parent_span_id})) continue;
    seen.insert(s.trace_id);
    roots.push_back(s);
  }
  return roots;
}

uint64_t SpanRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

size_t SpanRecorder::size() const {
  std::lock_guard lock(mu_);
  return ring_.size();
}

uint64_t SpanRecorder::recorded() const {
  std::lock_guard lock(mu_);
  return next_seq_;
}

SpanBatch SpanRecorder::since(uint64_t from, size_t max) const {
  SpanBatch batch;
  max = std::max<size_t>(1, max);
  std::lock_guard lock(mu_);
  from = std::min(from, next_seq_);
  batch.next = next_seq_;
  for (auto it = ring_.lower_bound(from); it != ring_.end(); ++it) {
    if (batch.spans.size() == max) {
      batch.next = it->first;  // the rest is for the next read
      break;
    }
    if (batch.spans.empty()) batch.first = it->first;
    batch.spans.push_back(it->second);
  }
  if (batch.spans.empty()) batch.first = batch.next;
  batch.missed = batch.next - from - batch.spans.size();
  return batch;
}

SpanId SpanRecorder::new_span_id() {
  SpanId id{};
  while (is_zero_id(id)) entropy_(id);
  return id;
}

TraceId SpanRecorder::new_trace_id() {
  TraceId id{};
  while (is_zero_id(id)) entropy_(id);
  return id;
}

bool SpanRecorder::activate(const Bytes& key, const TraceContext& context, std::string label) {
  std::lock_guard lock(mu_);
  if (active_.size() >= config_.active_max && !active_.contains(key)) return false;
  active_[key] = {context, std::move(label)};
  return true;
}

void SpanRecorder::deactivate(const Bytes& key, const TraceContext& context) {
  std::lock_guard lock(mu_);
  auto it = active_.find(key);
  if (it != active_.end() && it->second.context == context) active_.erase(it);
}

std::optional<TraceContext> SpanRecorder::context_for(BytesView key) const {
  std::lock_guard lock(mu_);
  auto it = active_.find(Bytes(key.begin(), key.end()));
  if (it == active_.end()) return std::nullopt;
  return it->second.context;
}

std::string SpanRecorder::label_for(BytesView key) const {
  std::lock_guard lock(mu_);
  auto it = active_.find(Bytes(key.begin(), key.end()));
  return it == active_.end() ? std::string() : it->second.label;
}

}  // namespace agora::observe
