// agora::Node's traces (docs/tracing.md): the spans this node recorded of a trace, merged with
// what the peers it touched answer over /agora/diag/1.0.0, each peer's clock offset applied.
#include <future>
#include <set>

#include "public/node_impl.h"

namespace agora {

namespace {

constexpr size_t kTracePeersAskedMax = 16;  // peers asked for one trace, in parallel
constexpr int64_t kWindowMarginNs = 2'000'000'000;

// A span as JSON, with the node that recorded it and its times on this node's clock.
Json span_json(const observe::Span& s, const std::string& node, int64_t offset_ns) {
  Json j = observe::to_json(s);
  j["node"] = node;
  j["start_ns"] = s.start_ns - offset_ns;
  j["end_ns"] = s.end_ns - offset_ns;
  if (offset_ns != 0) j["clock_offset_ns"] = offset_ns;
  return j;
}

// What to ask the peers: the trace, the keys its spans were about, its time window.
diag::DiagRequest question(const TraceId& id, const std::vector<observe::Span>& spans,
                           const diag::DiagLimits& limits) {
  diag::DiagRequest q;
  q.trace_id = id;
  std::set<std::string> keys;
  int64_t from = INT64_MAX, to = 0;
  for (const observe::Span& s : spans) {
    if (!s.key.empty() && s.key.size() <= limits.key_bytes_max && keys.size() < limits.keys_max)
      keys.insert(s.key);
    from = std::min(from, s.start_ns);
    to = std::max(to, s.end_ns);
  }
  q.keys.assign(keys.begin(), keys.end());
  q.from_ns = std::max<int64_t>(0, from - kWindowMarginNs);
  q.to_ns = std::min(to + kWindowMarginNs, q.from_ns + limits.window_ns_max);
  return q;
}

}  // namespace

Result<Json> Node::trace(std::string_view trace_id, bool ask_peers) {
  auto id = id_from_hex<16>(trace_id);
  if (!id) return make_error(Errc::invalid_input, "a trace id is 32 hex digits, not all zero");
  observe::SpanRecorder& recorder = impl_->node_->spans();
  std::vector<observe::Span> local = recorder.trace(*id);
  if (local.empty())
    return make_error(Errc::not_found, "no span of trace " + std::string(trace_id) +
                                           " is recorded here (kept: the last " +
                                           std::to_string(recorder.size()) + " spans)");
  const std::string self = peer_id();
  Json out = {{"trace_id", to_hex(*id)},
              {"node", self},
              {"spans", Json::array()},
              {"peers", Json::array()}};
  std::set<SpanId> ids;  // a peer's span that reuses an id is left out: ids make the tree
  for (const observe::Span& s : local) {
    ids.insert(s.span_id);
    out["spans"].push_back(span_json(s, self, 0));
  }
  if (!ask_peers) return out;

  std::vector<std::string> peers;  // those this node's requests of the trace went to
  for (const observe::Span& s : local)
    if (!s.inbound && !s.peer.empty() && peers.size() < kTracePeersAskedMax &&
        std::find(peers.begin(), peers.end(), s.peer) == peers.end())
      peers.push_back(s.peer);
  diag::DiagRequest q = question(*id, local, diag::DiagLimits{});
  int64_t first_ns = INT64_MAX, last_ns = 0;  // the trace's time here
  for (const observe::Span& s : local) {
    first_ns = std::min(first_ns, s.start_ns);
    last_ns = std::max(last_ns, s.end_ns);
  }
  std::vector<std::future<Result<DiagAsked>>> answers;
  for (const std::string& peer : peers) {
    answers.push_back(std::async(std::launch::async, [this, peer, q] {
      auto pid = PeerId::parse(peer);
      if (!pid) return Result<DiagAsked>(pid.error());
      return call_on_loop<Result<DiagAsked>>(
          impl_->io_, [this, p = *pid, q] { return impl_->node_->diag().ask(p, q); });
    }));
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    Result<DiagAsked> asked = answers[i].get();
    Json peer = {{"peer", peers[i]}, {"answered", asked.ok()}};
    if (!asked) {
      peer["error"] = asked.error().message;
      peer["code"] = errc_name(asked.error().code);
      out["peers"].push_back(peer);
      continue;
    }
    // NTP's estimate: the peer's clock minus ours, within half the round trip.
    const int64_t offset =
        asked->response.server_time_ns - (asked->sent_ns + asked->received_ns) / 2;
    peer["clock_offset_ns"] = offset;
    const int64_t error = (asked->received_ns - asked->sent_ns) / 2;
    peer["clock_error_ns"] = error;
    // An offset within its own error bound cannot be told from none (one exchange, whose round
    // trip includes opening the stream): the clocks are taken to agree, as on one machine.
    const int64_t applied = std::abs(offset) > error ? offset : 0;
    peer["clock_offset_applied_ns"] = applied;
    peer["truncated"] = asked->response.truncated;
    size_t kept = 0;
    for (const diag::DiagSpan& d : asked->response.spans) {
      // A span served with no trace context joins only if it overlaps the trace here: the
      // question's margin is for clocks that disagree, not for the asker's other requests.
      bool traced = d.trace_id != TraceId{};
      if (traced && d.trace_id != *id) continue;  // another trace's: not asked for
      if (!ids.insert(d.span_id).second) continue;
      if (!traced &&
          (d.end_ns - applied < first_ns - error || d.start_ns - applied > last_ns + error))
        continue;
      out["spans"].push_back(span_json(from_diag(d, self), peers[i], applied));
      ++kept;
    }
    peer["spans"] = kept;
    out["peers"].push_back(peer);
  }
  return out;
}

Json Node::traces(size_t limit) {
  Json list = Json::array();
  for (const observe::Span& s : impl_->node_->spans().recent_roots(limit)) {
    Json j = observe::to_json(s);
    j["node"] = peer_id();
    list.push_back(j);
  }
  return {{"traces", list}, {"spans_dropped", impl_->node_->spans().dropped()}};
}

}  // namespace agora
