#include "observe/spans.h"

#include <algorithm>
#include <chrono>

namespace agora::observe {

namespace {

template <size_t N>
bool is_zero(const std::array<uint8_t, N>& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

// Valid UTF-8 without control characters: a byte that breaks either becomes '?'. Spans carry
// strings from peers (error messages, keys) into JSON, onto terminals and to other peers.
void sanitize(std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto c = uint8_t(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    bool ok = n != 9 && i + n < s.size() + (n == 0 ? 1 : 0);
    uint32_t cp = c & (0x7f >> n);
    for (size_t k = 1; ok && k <= n; ++k) {
      ok = (uint8_t(s[i + k]) & 0xc0) == 0x80;
      cp = cp << 6 | (uint8_t(s[i + k]) & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= kMin[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && cp >= 0x20 &&
         !(cp >= 0x7f && cp <= 0x9f);
    if (!ok) {
      s[i++] = '?';
      continue;
    }
    i += n + 1;
  }
}

}  // namespace

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
  if (!is_zero(s.trace_id)) j["trace_id"] = to_hex(s.trace_id);
  if (!is_zero(s.parent_span_id)) j["parent_span_id"] = to_hex(s.parent_span_id);
  return j;
}

SpanRecorder::SpanRecorder(SpanRecorderConfig config, Entropy entropy)
    : config_(config), entropy_(std::move(entropy)) {
  config_.spans_max = std::max<size_t>(1, config_.spans_max);
}

void SpanRecorder::record(Span span) {
  for (std::string* field :
       {&span.name, &span.peer, &span.protocol, &span.key, &span.outcome, &span.detail})
    sanitize(*field);
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
  const bool traced = !is_zero(q.trace_id);
  std::lock_guard lock(mu_);
  each([&](const Span& s) {
    if (!s.inbound || s.peer != q.requester) return;  // only the asker's own requests
    if (!q.skip_protocol.empty() && s.protocol == q.skip_protocol) return;
    bool match = traced && s.trace_id == q.trace_id;  // the window is for untraced ones
    if (!match && is_zero(s.trace_id))
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
    if (!is_zero(s.trace_id)) spans.insert({s.trace_id, s.span_id});
  });
  std::set<TraceId> seen;
  for (size_t i = ring_.size(); i-- > 0 && roots.size() < limit;) {
    const Span& s = ring_[(next_ + i) % ring_.size()];
    if (is_zero(s.trace_id) || s.inbound || seen.contains(s.trace_id)) continue;
    if (!is_zero(s.parent_span_id) && spans.contains({s.trace_id, s.parent_span_id})) continue;
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
  while (is_zero(id)) entropy_(id);
  return id;
}

TraceId SpanRecorder::new_trace_id() {
  TraceId id{};
  while (is_zero(id)) entropy_(id);
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
