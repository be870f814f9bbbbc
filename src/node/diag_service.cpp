#include "node/diag_service.h"

namespace agora {

diag::DiagSpan to_diag(const observe::Span& s) {
  diag::DiagSpan d;
  d.trace_id = s.trace_id;
  d.span_id = s.span_id;
  d.parent_span_id = s.parent_span_id;
  d.name = s.name;
  d.protocol = s.protocol;
  d.key = s.key;
  d.inbound = s.inbound;
  d.bytes_sent = s.bytes_sent;
  d.bytes_received = s.bytes_received;
  d.outcome = s.outcome;
  d.detail = s.detail;
  d.start_ns = s.start_ns;
  d.end_ns = s.end_ns;
  return d;
}

observe::Span from_diag(const diag::DiagSpan& d, std::string peer) {
  observe::Span s;
  s.trace_id = d.trace_id;
  s.span_id = d.span_id;
  s.parent_span_id = d.parent_span_id;
  s.name = d.name;
  s.peer = std::move(peer);
  s.protocol = d.protocol;
  s.key = d.key;
  s.inbound = d.inbound;
  s.bytes_sent = d.bytes_sent;
  s.bytes_received = d.bytes_received;
  s.outcome = d.outcome;
  s.detail = d.detail;
  s.start_ns = d.start_ns;
  s.end_ns = d.end_ns;
  return s;
}

DiagService::DiagService(rt::Swarm& swarm, rt::BehaviourHost& host, behaviour::DiagConfig config,
                         observe::SpanRecorder& spans, observe::Registry& metrics,
                         observe::EventRecorder& events)
    : host_(host),
      spans_(spans),
      metrics_(metrics),
      events_(events),
      config_(config),
      behaviour_(config, [this](const PeerId& asker,
                                const diag::DiagRequest& q) { return answer(asker, q); }),
      waiting_(swarm.executor()) {
  for (const char* reason : {"rate", "malformed"})
    metrics_.counter("agora_diag_refused_total", "Diag requests refused, by reason",
                     {{"reason", reason}});
}

DiagService::~DiagService() {
  host_.remove(behaviour_);
  waiting_.fail_all(make_error(Errc::closed, "the node is stopping"));
}

void DiagService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

// Only the asker's own requests: the requester is the connection's authenticated peer id.
diag::DiagResponse DiagService::answer(const PeerId& asker, const diag::DiagRequest& q) const {
  observe::ServedQuery query;
  query.requester = asker.to_string();
  if (q.trace_id) query.trace_id = *q.trace_id;
  query.keys.insert(q.keys.begin(), q.keys.end());
  // The window is in the asker's clock: moved into ours by how far apart the clocks seem (the
  // asker's send time against our now; the one-way delay is small beside the window's margin).
  const int64_t now = observe::wall_clock_ns();
  const int64_t skew = q.asker_time_ns > 0 ? now - q.asker_time_ns : 0;
  query.from_ns = q.from_ns + skew;
  query.to_ns = q.to_ns + skew;
  query.max = config_.limits.spans_max;
  query.skip_protocol = std::string(behaviour::kDiagProtocol);
  diag::DiagResponse r;
  for (const observe::Span& s : spans_.served_to(query, r.truncated)) r.spans.push_back(to_diag(s));
  r.server_time_ns = now;
  return r;
}

void DiagService::deliver() {
  while (auto e = behaviour_.poll_event()) {
    if (auto* answer = std::get_if<behaviour::DiagAnswer>(&*e)) {
      waiting_.deliver(answer->id, std::move(answer->response));
    } else if (auto* refused = std::get_if<behaviour::DiagRefused>(&*e)) {
      metrics_
          .counter("agora_diag_refused_total", "Diag requests refused, by reason",
                   {{"reason", refused->reason}})
          .inc();
      observe::Event ev;
      ev.type = observe::EventType::limit_hit;
      ev.peer = refused->peer.to_string();
      ev.protocol = std::string(behaviour::kDiagProtocol);
      ev.reason = "diag_" + refused->reason;
      ev.detail = refused->detail;
      events_.record(std::move(ev));
    }
  }
}

rt::awaitable<Result<DiagAsked>> DiagService::ask(PeerId peer, diag::DiagRequest request) {
  DiagAsked out;
  out.sent_ns = observe::wall_clock_ns();
  request.asker_time_ns = out.sent_ns;
  auto id = behaviour_.ask(peer, request, {}, rt::now());
  if (!id) co_return id.error();
  auto response = co_await waiting_.wait_for(*id, [this] { host_.wake(behaviour_); });
  out.received_ns = observe::wall_clock_ns();
  if (!response) co_return response.error();
  out.response = std::move(*response);
  co_return out;
}

}  // namespace agora
