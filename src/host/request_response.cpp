#include "host/request_response.h"

#include <algorithm>

namespace agora::host {

RequestResponse::RequestResponse(RequestResponseConfig config) : config_(std::move(config)) {}

ProtocolSpec RequestResponse::spec() const {
  return {.name = config_.protocol,
          .framing = config_.framing,
          .config = config_.stream,
          .send_queue_bytes_max = config_.send_queue_bytes_max,
          // Our side closes as soon as a request is written: the answer still has to come.
          .close_linger =
              std::max(config_.request_timeout, config_.response_timeout) + std::chrono::seconds(1),
          .inbound = config_.serve};
}

void RequestResponse::emit(RequestResponseEvent e) {
  if (events_.size() >= config_.outbound_max + config_.inbound_max) {
    events_.pop_front();
    ++events_dropped_;
  }
  events_.push_back(std::move(e));
}

Result<RequestId> RequestResponse::request(const PeerId& peer, Bytes request,
                                           std::vector<Multiaddr> addrs, Instant now,
                                           bool expect_response, std::optional<StreamTrace> trace) {
  if (outbound_.size() >= config_.outbound_max)
    return make_error(Errc::limit, config_.protocol + ": " + std::to_string(config_.outbound_max) +
                                       " requests in flight already");
  if (request.size() > config_.framing.message_bytes_max)
    return make_error(Errc::too_large, config_.protocol + ": request over the message limit");
  RequestId id = next_id_++;
  outbound_[id] = {.peer = peer,
                   .request = std::move(request),
                   .expect_response = expect_response,
                   .deadline = now + config_.request_timeout};
  actions_.push_back(OpenStream{.peer = peer,
                                .protocol = config_.protocol,
                                .tag = id,
                                .addrs = std::move(addrs),
                                .trace = std::move(trace)});
  return id;
}

Status RequestResponse::respond(RequestId id, Bytes response) {
  return answer(id, std::move(response));
}

Status RequestResponse::respond_nothing(RequestId id) { return answer(id, std::nullopt); }

void RequestResponse::reject(RequestId id, const std::string& why) {
  auto it = inbound_.find(id);
  if (it != inbound_.end()) abort_served(it->second.ref, why);
}

Status RequestResponse::answer(RequestId id, std::optional<Bytes> response) {
  auto it = inbound_.find(id);
  if (it == inbound_.end())
    return make_error(Errc::not_found, config_.protocol + ": no such request awaits an answer");
  StreamRef ref = it->second.ref;
  forget_inbound(id);
  Served& s = served_.at(ref);
  s.answered[id] = std::move(response);
  flush(ref, s);
  return {};
}

// Writes the answers that are next in line; closes our side once the peer is done and every
// request on the stream is answered.
void RequestResponse::flush(StreamRef ref, Served& s) {
  while (!s.order.empty()) {
    auto a = s.answered.find(s.order.front());
    if (a == s.answered.end()) break;
    if (a->second) actions_.push_back(SendMessage{ref, std::move(*a->second)});
    s.answered.erase(a);
    s.order.pop_front();
  }
  if (s.finished && s.order.empty() && !s.closed) {
    actions_.push_back(CloseWrite{ref});
    s.closed = true;
  }
}

void RequestResponse::fail_outbound(RequestId id, Error why, bool reset) {
  auto it = outbound_.find(id);
  if (it == outbound_.end()) return;
  if (it->second.ref) {
    by_stream_.erase(*it->second.ref);
    if (reset) {
      actions_.push_back(AbortStream{*it->second.ref, why.message});
      aborted_.insert(*it->second.ref);
    }
  }
  emit(Response{id, it->second.peer, std::move(why)});
  outbound_.erase(it);
}

void RequestResponse::forget_inbound(RequestId id) {
  auto it = inbound_.find(id);
  if (it == inbound_.end()) return;
  auto p = inbound_by_peer_.find(served_.at(it->second.ref).peer);
  if (p != inbound_by_peer_.end() && --p->second == 0) inbound_by_peer_.erase(p);
  inbound_.erase(it);
}

void RequestResponse::abort_served(StreamRef ref, const std::string& why) {
  auto it = served_.find(ref);
  if (it == served_.end()) return;
  for (RequestId id : it->second.order) forget_inbound(id);
  served_.erase(it);
  actions_.push_back(AbortStream{ref, config_.protocol + ": " + why});
  aborted_.insert(ref);
}

bool RequestResponse::on_stream_opened(const StreamOpened& stream, Instant now) {
  if (stream.protocol != config_.protocol) return false;
  if (stream.direction == Direction::inbound) {
    served_[stream.ref] = {
        .peer = stream.peer, .remote = stream.remote, .idle_deadline = now + config_.idle_timeout};
    return true;
  }
  auto it = outbound_.find(stream.tag);
  if (it == outbound_.end()) {  // timed out while the stream was opening
    actions_.push_back(AbortStream{stream.ref, "request no longer wanted"});
    aborted_.insert(stream.ref);
    return true;
  }
  it->second.ref = stream.ref;
  by_stream_[stream.ref] = stream.tag;
  actions_.push_back(SendMessage{stream.ref, std::move(it->second.request)});
  actions_.push_back(CloseWrite{stream.ref});
  return true;
}

bool RequestResponse::on_stream_open_failed(const StreamOpenFailed& failed, Instant) {
  if (failed.protocol != config_.protocol || !outbound_.count(failed.tag)) return false;
  fail_outbound(failed.tag, failed.error, false);
  return true;
}

bool RequestResponse::on_message(StreamRef ref, Bytes& message, Instant now) {
  if (auto b = by_stream_.find(ref); b != by_stream_.end()) {
    RequestId id = b->second;
    Outbound& o = outbound_.at(id);
    if (!o.expect_response) return true;  // a one-way request: nothing is expected back
    by_stream_.erase(b);
    closing_[ref] = now + config_.request_timeout;  // for the peer's EOF
    emit(Response{id, o.peer, std::move(message)});
    outbound_.erase(id);
    return true;
  }
  if (closing_.count(ref) || aborted_.count(ref)) return true;
  auto s = served_.find(ref);
  if (s == served_.end()) return false;
  size_t& from_peer = inbound_by_peer_[s->second.peer];
  if (inbound_.size() >= config_.inbound_max || from_peer >= config_.inbound_per_peer_max ||
      s->second.order.size() >= config_.pipelined_max ||
      s->second.requests >= config_.requests_per_stream_max) {
    if (from_peer == 0) inbound_by_peer_.erase(s->second.peer);
    abort_served(ref, "too many requests awaiting an answer");
    return true;
  }
  ++from_peer;
  ++s->second.requests;
  RequestId id = next_id_++;
  inbound_[id] = {ref, now + config_.response_timeout};
  s->second.order.push_back(id);
  s->second.idle_deadline = now + config_.idle_timeout;
  emit(InboundRequest{id, s->second.peer, std::move(message), s->second.remote});
  return true;
}

bool RequestResponse::on_stream_finished(StreamRef ref, Instant) {
  if (auto b = by_stream_.find(ref); b != by_stream_.end()) {
    RequestId id = b->second;
    if (outbound_.at(id).expect_response) {
      fail_outbound(id, make_error(Errc::closed, "the peer closed the stream without answering"),
                    false);
    } else {  // one-way: written, and the peer closed its side after reading it
      emit(Response{id, outbound_.at(id).peer, Bytes{}});
      by_stream_.erase(b);
      outbound_.erase(id);
    }
    return true;
  }
  if (closing_.count(ref) || aborted_.count(ref)) return true;
  auto s = served_.find(ref);
  if (s == served_.end()) return false;
  s->second.finished = true;
  flush(ref, s->second);
  return true;
}

bool RequestResponse::on_stream_closed(StreamRef ref, const Error& why, Instant) {
  bool ours = closing_.erase(ref) + aborted_.erase(ref) > 0;
  if (auto b = by_stream_.find(ref); b != by_stream_.end()) {
    fail_outbound(b->second, why, false);
    return true;
  }
  if (auto s = served_.find(ref); s != served_.end()) {
    for (RequestId id : s->second.order) forget_inbound(id);
    if (why.code == Errc::too_large || why.code == Errc::invalid_input ||
        why.code == Errc::truncated)
      emit(InboundFailed{s->second.peer, why});
    served_.erase(s);
    return true;
  }
  return ours;
}

void RequestResponse::on_timer(Instant now) {
  std::vector<RequestId> late;
  for (const auto& [id, o] : outbound_)
    if (o.deadline <= now) late.push_back(id);
  for (RequestId id : late)
    fail_outbound(id, make_error(Errc::timeout, config_.protocol + ": no answer in time"), true);
  std::vector<StreamRef> drop;
  for (const auto& [id, in] : inbound_)
    if (in.deadline <= now) drop.push_back(in.ref);
  for (const auto& [ref, s] : served_)
    if (s.order.empty() && !s.finished && s.idle_deadline <= now) drop.push_back(ref);
  for (const StreamRef& ref : drop) abort_served(ref, "idle, or a request not answered in time");
  for (auto it = closing_.begin(); it != closing_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    actions_.push_back(AbortStream{it->first, "no EOF from the peer after its answer"});
    aborted_.insert(it->first);
    it = closing_.erase(it);
  }
}

std::optional<Instant> RequestResponse::next_timer() const {
  std::optional<Instant> next;
  auto consider = [&](Instant t) { next = next ? std::min(*next, t) : t; };
  for (const auto& [id, o] : outbound_) consider(o.deadline);
  for (const auto& [id, in] : inbound_) consider(in.deadline);
  for (const auto& [ref, s] : served_)
    if (s.order.empty() && !s.finished) consider(s.idle_deadline);
  for (const auto& [ref, t] : closing_) consider(t);
  return next;
}

std::optional<BehaviourAction> RequestResponse::poll_action() { return take_front(actions_); }

std::optional<RequestResponseEvent> RequestResponse::poll_event() { return take_front(events_); }

}  // namespace agora::host
