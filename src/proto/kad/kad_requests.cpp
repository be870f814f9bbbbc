// Kad core: outbound requests, their answers, failures and timeouts, and the routing table
// changes they cause.
#include <algorithm>
#include <cassert>

#include "proto/kad/kad.h"

namespace agora::kad {

RequestId Kad::send(Purpose purpose, QueryId query, const PeerInfo& to, Message message,
                    Instant now) {
  const RequestId id = next_request_id_++;
  Pending p{purpose, message.type, query, to.id, {}, now, now + config_.request_timeout};
  if (purpose == Purpose::lookup) p.addrs = to.addrs;
  deadlines_.emplace(p.deadline, id);
  pending_.emplace(id, std::move(p));
  outbound_.push(OutboundRequest{id, to, std::move(message), true});
  ++stats_.requests_sent;
  return id;
}

void Kad::send_no_response(const PeerInfo& to, Message message) {
  outbound_.push(OutboundRequest{next_request_id_++, to, std::move(message), false});
  ++stats_.requests_sent;
}

std::optional<OutboundRequest> Kad::poll_outbound() {
  // Requests of queries that ended meanwhile are not worth sending.
  while (auto r = outbound_.pop()) {
    if (!r->expect_response || pending_.count(r->id) != 0) return r;
  }
  return std::nullopt;
}

std::optional<Kad::Pending> Kad::take_request(RequestId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  Pending p = std::move(it->second);
  pending_.erase(it);
  deadlines_.erase({p.deadline, id});
  return p;
}

void Kad::forget_request(RequestId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  deadlines_.erase({it->second.deadline, id});
  pending_.erase(it);
}

void Kad::drop_query_requests(QueryId query) {
  std::vector<RequestId> ids;
  for (const auto& [id, p] : pending_)
    if (p.purpose != Purpose::liveness && p.query == query) ids.push_back(id);
  for (RequestId id : ids) forget_request(id);
}

const char* answer_fault_name(AnswerFault fault) {
  switch (fault) {
    case AnswerFault::wrong_type:
      return "wrong_type";
    case AnswerFault::over_limit:
      return "over_limit";
    case AnswerFault::invalid_record:
      return "invalid_record";
  }
  return "over_limit";
}

std::optional<PeerMisbehaved> Kad::check_response(const Pending& p, const Message& response) const {
  if (response.type != p.type) {
    return PeerMisbehaved{p.peer, AnswerFault::wrong_type,
                          std::string("answered ") + message_type_name(p.type) + " with " +
                              message_type_name(response.type)};
  }
  if (auto st = check_limits(response, config_.limits); !st)
    return PeerMisbehaved{p.peer, AnswerFault::over_limit, st.error().message};
  return std::nullopt;
}

void Kad::on_response(RequestId id, const Message& response, Instant now) {
  auto taken = take_request(id);
  if (!taken) return;  // timed out, cancelled or never ours
  const Pending& p = *taken;
  ++stats_.responses;
  if (auto bad = check_response(p, response)) {
    ++stats_.misbehaved;
    std::string reason = bad->reason;
    emit(std::move(*bad));
    switch (p.purpose) {
      case Purpose::liveness:
        on_liveness(p.peer, false, now);
        break;
      case Purpose::lookup:
        on_lookup_failure(p.query, p, reason, now);
        break;
      case Purpose::store:
        on_store_done(p.query, nullptr, now);
        break;
    }
    return;
  }
  switch (p.purpose) {
    case Purpose::liveness:
      on_liveness(p.peer, true, now);
      break;
    case Purpose::lookup:
      on_lookup_response(p.query, p, response, now);
      break;
    case Purpose::store:
      on_store_done(p.query, &response, now);
      break;
  }
}

void Kad::on_request_failed(RequestId id, std::string reason, Instant now) {
  auto taken = take_request(id);
  if (!taken) return;
  const Pending& p = *taken;
  ++stats_.failures;
  switch (p.purpose) {
    case Purpose::liveness:
      on_liveness(p.peer, false, now);
      break;
    case Purpose::lookup:
      on_lookup_failure(p.query, p, reason, now);
      break;
    case Purpose::store:
      on_store_done(p.query, nullptr, now);
      break;
  }
}

void Kad::expire_requests(Instant now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const RequestId id = deadlines_.begin()->second;
    ++stats_.timeouts;
    on_request_failed(id, "timeout", now);
  }
}

void Kad::on_lookup_response(QueryId id, const Pending& p, const Message& response, Instant now) {
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  QueryState& q = it->second;
  if (q.kind == QueryKind::get_value && response.record) {
    const Record& rec = *response.record;
    std::optional<std::string> bad;
    if (rec.key != q.key) {
      bad = "GET_VALUE answered with a record for another key";
    } else if (auto st = validate_record(rec); !st) {
      bad = "invalid record: " + st.error().message;
    }
    if (bad) {
      ++stats_.misbehaved;
      emit(PeerMisbehaved{p.peer, AnswerFault::invalid_record, *bad});
      on_lookup_failure(id, p, *bad, now);
      return;
    }
    if (!q.record) q.record = Record{rec.key, rec.value, {}};
    ++q.records_found;
  }
  if (q.kind == QueryKind::get_providers) {
    for (const Peer& pp : response.provider_peers) {
      if (q.providers.size() >= config_.providers_wanted) break;
      const bool known = std::any_of(q.providers.begin(), q.providers.end(),
                                     [&](const PeerInfo& x) { return x.id == pp.id; });
      if (!known) q.providers.push_back(to_peer_info(pp));
    }
  }
  std::vector<PeerInfo> closer;
  closer.reserve(response.closer_peers.size());
  for (const Peer& cp : response.closer_peers)
    if (cp.id != self_) closer.push_back(to_peer_info(cp));

  routing_update(PeerInfo{p.peer, p.addrs}, now);  // it answered a kad request: a server
  q.lookup.on_success(p.peer, closer, now);
  if (config_.query_step_events) {
    QueryStep step{id, p.peer, now - p.sent, closer.size(), false, {}};
    step.closer_ids.reserve(closer.size());
    for (const PeerInfo& c : closer) step.closer_ids.push_back(c.id);
    step.providers = response.provider_peers.size();
    step.record = response.record.has_value();
    emit(std::move(step));
  }
  pump(id, now);
}

void Kad::on_lookup_failure(QueryId id, const Pending& p, const std::string& reason, Instant now) {
  routing_remove(p.peer, now);
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  it->second.lookup.on_failure(p.peer, now);
  if (config_.query_step_events) emit(QueryStep{id, p.peer, now - p.sent, 0, true, reason});
  pump(id, now);
}

void Kad::on_store_done(QueryId id, const Message* response, Instant now) {
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  QueryState& q = it->second;
  assert(q.store_pending > 0);
  --q.store_pending;
  // PUT_VALUE is answered with an echo; go checks the value came back the same.
  if (response && response->record && q.record && response->record->value == q.record->value)
    ++q.stored;
  if (q.store_pending == 0)
    finish_query(id, q.stored > 0, q.stored > 0 ? "" : "no peer stored the record", now);
}

void Kad::routing_update(const PeerInfo& peer, Instant now, OnFullBucket on_full) {
  if (peer.id == self_ || peer.id.empty()) return;
  UpdateResult r = routing_.update(peer, now, on_full);
  if (r.outcome == UpdateOutcome::inserted) emit(RoutingUpdated{peer.id, true});
  if (r.outcome == UpdateOutcome::check_needed) {
    assert(r.check);
    ++stats_.liveness_checks;
    Message m;
    m.type = MessageType::find_node;
    m.key = self_.bytes();
    send(Purpose::liveness, 0, *r.check, std::move(m), now);
  }
}

void Kad::routing_remove(const PeerId& peer, Instant now) {
  RemoveResult r = routing_.remove(peer, now);
  if (r.removed) emit(RoutingUpdated{peer, false});
  if (r.promoted) emit(RoutingUpdated{r.promoted->id, true});
}

void Kad::on_liveness(const PeerId& peer, bool alive, Instant now) {
  RemoveResult r = routing_.on_liveness_result(peer, alive, now);
  if (r.removed) emit(RoutingUpdated{peer, false});
  if (r.promoted) emit(RoutingUpdated{r.promoted->id, true});
}

}  // namespace agora::kad
