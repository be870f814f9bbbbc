#include "behaviour/autonat_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

namespace {

host::RequestResponseConfig rr_config(const AutonatConfig& c) {
  host::RequestResponseConfig rr;
  rr.protocol = std::string(kAutonatProtocol);
  rr.framing = {.kind = host::Framing::Kind::length_prefixed,
                .message_bytes_max = c.limits.message_bytes_max};
  rr.serve = c.serve;
  rr.outbound_max = c.outbound_max;
  rr.inbound_max = c.inbound_max;
  rr.inbound_per_peer_max = 1;
  rr.pipelined_max = 1;
  rr.requests_per_stream_max = 1;
  rr.request_timeout = c.request_timeout;
  rr.response_timeout = c.response_timeout;
  rr.idle_timeout = c.response_timeout;
  rr.send_queue_bytes_max = c.limits.message_bytes_max + 16;
  rr.stream.limits.all_peers = host::kAllPeersLimits;
  return rr;
}

// A bucket of milli-requests, so that rates below one a second fit host::RateLimit's integers.
constexpr uint64_t kRequestTokens = 1000;
host::RateLimit bucket(Duration interval, size_t burst) {
  auto ms =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(interval).count());
  return host::RateLimit(std::max<uint64_t>(1, kRequestTokens * 1000 / uint64_t(ms)),
                         kRequestTokens * std::max<size_t>(1, burst));
}

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

std::vector<Multiaddr> dial_back_addresses(const std::vector<Multiaddr>& requested,
                                           const Multiaddr& remote, size_t max) {
  std::vector<Multiaddr> out;
  auto from = remote.tcp_endpoint();
  if (!from) return out;
  for (const Multiaddr& addr : requested) {
    auto ep = addr.without_peer_id().tcp_endpoint();
    if (!ep || ep->host != from->host || ep->ipv6 != from->ipv6 || ep->port == 0) continue;
    Multiaddr plain = Multiaddr::from_tcp(ep->host, ep->port, ep->ipv6);
    if (plain.empty() || std::find(out.begin(), out.end(), plain) != out.end()) continue;
    out.push_back(std::move(plain));
    if (out.size() == max) break;
  }
  return out;
}

AutonatBehaviour::AutonatBehaviour(PeerId local, AutonatConfig config)
    : local_(std::move(local)),
      config_(config),
      rr_(rr_config(config_)),
      global_bucket_(bucket(config_.global_interval, config_.global_burst)) {}

Result<AutonatAskId> AutonatBehaviour::ask(const PeerId& peer, std::vector<Multiaddr> ours,
                                           std::vector<Multiaddr> addrs, Instant now) {
  autonat::DialRequest request{.peer_id = local_.bytes(), .addrs = std::move(ours)};
  if (request.addrs.size() > config_.limits.addrs_max)
    request.addrs.resize(config_.limits.addrs_max);
  return rr_.request(peer, autonat::encode_dial(request), std::move(addrs), now);
}

void AutonatBehaviour::push_event(AutonatEvent e) {
  if (events_.size() < config_.outbound_max + config_.inbound_max) events_.push_back(std::move(e));
}

void AutonatBehaviour::answer(host::RequestId id, const PeerId& peer,
                              autonat::DialResponse response) {
  if (response.status_text.size() > config_.limits.status_text_bytes_max)
    response.status_text.resize(config_.limits.status_text_bytes_max);
  std::string detail = response.addr ? response.addr->to_string() : response.status_text;
  auto status = response.status;
  (void)rr_.respond(id, autonat::encode_response(response));
  push_event(AutonatServed{peer, status, std::move(detail)});
}

std::optional<std::string> AutonatBehaviour::over_rate(const PeerId& peer, Instant now) {
  if (probing_.size() >= config_.probes_max)
    return "busy: " + std::to_string(config_.probes_max) + " dial-backs in flight";
  auto it = buckets_.find(peer);
  if (it == buckets_.end()) {
    if (buckets_.size() >= config_.peers_tracked_max) buckets_.erase(buckets_.begin());
    it = buckets_.emplace(peer, bucket(config_.peer_interval, config_.peer_burst)).first;
  }
  if (it->second.available(now) < kRequestTokens)
    return "rate: one dial-back per " + seconds_text(config_.peer_interval) + " per peer";
  if (global_bucket_.available(now) < kRequestTokens)
    return "rate: one dial-back per " + seconds_text(config_.global_interval) + " in all";
  it->second.take(kRequestTokens, now);
  global_bucket_.take(kRequestTokens, now);
  return std::nullopt;
}

void AutonatBehaviour::on_request(const host::InboundRequest& r, Instant now) {
  using autonat::ResponseStatus;
  auto message = autonat::decode(r.request, config_.limits);
  if (!message || !message->dial)
    return answer(r.id, r.peer,
                  {ResponseStatus::bad_request, message ? "not a DIAL" : message.error().message,
                   std::nullopt});
  if (message->dial->peer_id != r.peer.bytes())
    return answer(
        r.id, r.peer,
        {ResponseStatus::bad_request, "the peer id is not the connection's", std::nullopt});
  auto addrs = dial_back_addresses(message->dial->addrs, r.remote, config_.dial_addrs_max);
  if (addrs.empty()) {
    auto from = r.remote.tcp_endpoint();
    return answer(r.id, r.peer,
                  {ResponseStatus::dial_refused,
                   "no TCP address at " + (from ? from->host : r.remote.to_string()) +
                       ", where the request came from",
                   std::nullopt});
  }
  if (auto why = over_rate(r.peer, now))
    return answer(r.id, r.peer, {ResponseStatus::dial_refused, *why, std::nullopt});
  probing_[r.id] = r.peer;
  probes_.push_back(host::ProbeDial{r.id, r.peer, std::move(addrs)});
}

void AutonatBehaviour::on_probe_finished(const host::ProbeFinished& probe, Instant now) {
  auto it = probing_.find(probe.tag);
  if (it == probing_.end()) return;
  PeerId peer = it->second;
  probing_.erase(it);
  if (probe.reached) {
    answer(probe.tag, peer, {autonat::ResponseStatus::ok, "", *probe.reached});
  } else {
    answer(probe.tag, peer,
           {autonat::ResponseStatus::dial_error, probe.reached.error().message, std::nullopt});
  }
  drain(now);
}

std::optional<host::BehaviourAction> AutonatBehaviour::poll_action() {
  if (auto probe = host::take_front(probes_)) return host::BehaviourAction(std::move(*probe));
  return rr_.poll_action();
}

void AutonatBehaviour::drain(Instant now) {
  while (auto e = rr_.poll_event()) {
    if (auto* response = std::get_if<host::Response>(&*e)) {
      AutonatAnswer answer{response->id, response->peer, Error{Errc::closed, ""}};
      if (response->response) {
        auto message = autonat::decode(*response->response, config_.limits);
        if (!message) {
          answer.response = message.error();
        } else if (!message->response) {
          answer.response = make_error(Errc::invalid_input, "autonat: a DIAL in answer to ours");
        } else {
          answer.response = std::move(*message->response);
        }
      } else {
        answer.response = response->response.error();
      }
      events_.push_back(std::move(answer));  // bounded by outbound_max
    } else if (auto* request = std::get_if<host::InboundRequest>(&*e)) {
      on_request(*request, now);
    } else if (auto* failed = std::get_if<host::InboundFailed>(&*e)) {
      push_event(
          AutonatServed{failed->peer, autonat::ResponseStatus::bad_request, failed->error.message});
    }
  }
}

void AutonatBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  rr_.on_stream_opened(s, now);
  drain(now);
}
void AutonatBehaviour::on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) {
  rr_.on_stream_open_failed(f, now);
  drain(now);
}
void AutonatBehaviour::on_message(host::StreamRef ref, Bytes message, Instant now) {
  rr_.on_message(ref, message, now);
  drain(now);
}
void AutonatBehaviour::on_stream_finished(host::StreamRef ref, Instant now) {
  rr_.on_stream_finished(ref, now);
  drain(now);
}
void AutonatBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant now) {
  rr_.on_stream_closed(ref, why, now);
  drain(now);
}
void AutonatBehaviour::on_timer(Instant now) {
  rr_.on_timer(now);
  drain(now);
}

}  // namespace agora::behaviour
