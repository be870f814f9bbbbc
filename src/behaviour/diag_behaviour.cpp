#include "behaviour/diag_behaviour.h"

namespace agora::behaviour {

namespace {

host::RequestResponseConfig rr_config(const DiagConfig& c) {
  host::RequestResponseConfig rr;
  rr.protocol = std::string(kDiagProtocol);
  rr.framing = {.kind = host::Framing::Kind::length_prefixed,
                .message_bytes_max = c.limits.response_bytes_max};
  rr.serve = c.serve;
  rr.outbound_max = c.outbound_max;
  rr.inbound_max = c.inbound_max;
  rr.inbound_per_peer_max = c.inbound_per_peer_max;
  rr.pipelined_max = 1;
  rr.requests_per_stream_max = 1;
  rr.request_timeout = c.request_timeout;
  rr.response_timeout = c.request_timeout;
  rr.idle_timeout = c.request_timeout;
  rr.send_queue_bytes_max = c.limits.response_bytes_max + 16;
  rr.stream.limits.all_peers = host::kAllPeersLimits;
  return rr;
}

}  // namespace

DiagBehaviour::DiagBehaviour(DiagConfig config, Source source)
    : config_(config), source_(std::move(source)), rr_(rr_config(config_)) {}

Result<DiagAskId> DiagBehaviour::ask(const PeerId& peer, const diag::DiagRequest& request,
                                     std::vector<Multiaddr> addrs, Instant now) {
  return rr_.request(peer, diag::encode_request(request), std::move(addrs), now);
}

void DiagBehaviour::refuse(const host::InboundRequest& r, std::string reason, std::string detail) {
  rr_.reject(r.id, "diag: " + reason);
  if (events_.size() < config_.outbound_max + config_.inbound_max)
    events_.push_back(DiagRefused{r.peer, std::move(reason), std::move(detail)});
}

void DiagBehaviour::on_request(const host::InboundRequest& r, Instant now) {
  auto bucket = buckets_.find(r.peer);
  if (bucket == buckets_.end()) {
    if (buckets_.size() >= config_.peers_tracked_max) buckets_.erase(buckets_.begin());
    bucket =
        buckets_.emplace(r.peer, host::RateLimit(config_.requests_per_second, config_.burst)).first;
  }
  if (bucket->second.available(now) < 1)
    return refuse(r, "rate",
                  "over " + std::to_string(config_.requests_per_second) +
                      " diag requests a second (burst " + std::to_string(config_.burst) + ")");
  bucket->second.take(1, now);
  auto request = diag::decode_request(r.request, config_.limits);
  if (!request) return refuse(r, "malformed", request.error().message);
  ++answered_;
  (void)rr_.respond(r.id, diag::encode_response(source_(r.peer, *request), config_.limits));
}

void DiagBehaviour::drain(Instant now) {
  while (auto e = rr_.poll_event()) {
    if (auto* response = std::get_if<host::Response>(&*e)) {
      DiagAnswer answer{response->id, response->peer, Error{Errc::closed, ""}};
      if (response->response) {
        answer.response = diag::decode_response(*response->response, config_.limits);
      } else {
        answer.response = response->response.error();
      }
      events_.push_back(std::move(answer));  // bounded by outbound_max
    } else if (auto* request = std::get_if<host::InboundRequest>(&*e)) {
      on_request(*request, now);
    } else if (auto* failed = std::get_if<host::InboundFailed>(&*e)) {
      if (events_.size() < config_.outbound_max + config_.inbound_max)
        events_.push_back(DiagRefused{failed->peer, "malformed", failed->error.message});
    }
  }
}

void DiagBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  rr_.on_stream_opened(s, now);
  drain(now);
}
void DiagBehaviour::on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) {
  rr_.on_stream_open_failed(f, now);
  drain(now);
}
void DiagBehaviour::on_message(host::StreamRef ref, Bytes message, Instant now) {
  rr_.on_message(ref, message, now);
  drain(now);
}
void DiagBehaviour::on_stream_finished(host::StreamRef ref, Instant now) {
  rr_.on_stream_finished(ref, now);
  drain(now);
}
void DiagBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant now) {
  rr_.on_stream_closed(ref, why, now);
  drain(now);
}
void DiagBehaviour::on_timer(Instant now) {
  rr_.on_timer(now);
  drain(now);
}

}  // namespace agora::behaviour
