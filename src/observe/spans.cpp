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
}

void SpanRecorder::record(Span span) {
  for (std::string* field :
       {&span.name, &span.peer, &span.protocol, &span.key, &span.outcome, &span.detail})
    make_clean_text(*field);  // strings from peers go into JSON, onto terminals, to peers
  std::lock_guard lock(mu_);
  if (ring_.size() < config_.spans_max) {
    ring_.push_back(std::move(span));
    return;
  }
  ring_[next_] = std::move(span);
  next_ = (next_ + 1) % ring_.size();
  ++dropped_;
}

template <class F>
void SpanRecorder::each(F&& f) const {
  for (size_t i = 0; i < ring_.size(); ++i) f(ring_[(next_ + i) % ring_.size()]);
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
  for (size_t i = ring_.size(); i-- > 0 && roots.size() < limit;) {
    const Span& s = ring_[(next_ + i) % ring_.size()];
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
