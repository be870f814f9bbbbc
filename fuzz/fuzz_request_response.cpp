// Fuzzes host::RequestResponse (host/request_response.h) with random input sequences, playing the
// runtime faithfully: streams opened both ways (outbound only for tags it asked for), messages,
// EOFs, closes with any error, answers, rejects, timers with time moving forward, and its actions
// carried out (an AbortStream or a CloseWrite on both sides ends a stream some steps later).
// After every step the bounds must hold: requests in flight, requests awaiting an answer (in all,
// per peer), queued events; and once every stream has ended and the timers have run, nothing is
// left in flight.
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "fuzz_input.h"
#include "host/request_response.h"

namespace {

using namespace agora;
using namespace agora::host;
using fuzz::check;
using fuzz::Input;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n % 4)}); }

RequestResponseConfig config() {
  RequestResponseConfig c;
  c.protocol = "/fuzz/rr/1";
  c.framing.message_bytes_max = 64;
  c.outbound_max = 6;
  c.inbound_max = 8;
  c.inbound_per_peer_max = 4;
  c.pipelined_max = 3;
  c.request_timeout = std::chrono::seconds(5);
  c.response_timeout = std::chrono::seconds(5);
  c.idle_timeout = std::chrono::seconds(20);
  return c;
}

struct Stream {
  PeerId peer;
  bool inbound = false;
  bool our_close = false;
  bool peer_close = false;
};

struct Runtime {
  RequestResponse rr{config()};
  Instant now = Instant(std::chrono::seconds(1000));
  std::map<StreamRef, Stream> streams;
  std::vector<OpenStream> opening;  // asked for, not yet opened or failed
  std::vector<RequestId> inbound_ids;
  uint64_t next_stream = 1;
  size_t events = 0;

  void drain() {
    while (auto a = rr.poll_action()) {
      if (auto* open = std::get_if<OpenStream>(&*a)) {
        check(open->protocol == config().protocol);
        opening.push_back(*open);
      } else if (auto* send = std::get_if<SendMessage>(&*a)) {
        check(send->message.size() <= config().framing.message_bytes_max);
      } else if (auto* close = std::get_if<CloseWrite>(&*a)) {
        if (auto it = streams.find(close->ref); it != streams.end()) it->second.our_close = true;
      } else if (auto* abort = std::get_if<AbortStream>(&*a)) {
        if (streams.erase(abort->ref))
          rr.on_stream_closed(abort->ref, make_error(Errc::closed, "reset"), now);
      }
    }
    while (auto e = rr.poll_event()) {
      ++events;
      if (auto* in = std::get_if<InboundRequest>(&*e)) inbound_ids.push_back(in->id);
    }
  }

  void check_bounds() const {
    const RequestResponseConfig c = config();
    check(rr.outbound() <= c.outbound_max);
    check(rr.inbound() <= c.inbound_max);
  }

  StreamRef pick(Input& in) const {
    if (streams.empty()) return {};
    auto it = streams.begin();
    std::advance(it, in.byte() % streams.size());
    return it->first;
  }

  void step(Input& in) {
    uint8_t op = in.byte() % 11;
    if (op == 0) {
      (void)rr.request(peer(in.byte()), Bytes(in.byte() % 80, 1), {}, now, in.byte() % 4 != 0);
    } else if (op == 1 && !opening.empty()) {  // an open we asked for succeeds or fails
      OpenStream o = opening.front();
      opening.erase(opening.begin());
      if (in.byte() % 3 == 0) {
        rr.on_stream_open_failed({o.tag, o.peer, o.protocol, make_error(Errc::closed, "no")}, now);
      } else {
        StreamRef ref{1, next_stream++};
        streams[ref] = {o.peer, false};
        rr.on_stream_opened({ref, o.peer, o.protocol, Direction::outbound, o.tag, {}}, now);
      }
    } else if (op == 2) {  // the peer opens a stream
      StreamRef ref{2, next_stream++};
      PeerId p = peer(in.byte());
      streams[ref] = {p, true};
      rr.on_stream_opened({ref, p, config().protocol, Direction::inbound, 0, {}}, now);
    } else if (op == 3 && !streams.empty()) {  // a message arrives
      StreamRef ref = pick(in);
      if (!streams.at(ref).peer_close) {
        Bytes m(in.byte() % 64, 2);
        rr.on_message(ref, m, now);
      }
    } else if (op == 4 && !streams.empty()) {  // the peer closes its side
      StreamRef ref = pick(in);
      Stream& s = streams.at(ref);
      if (!s.peer_close) {
        s.peer_close = true;
        rr.on_stream_finished(ref, now);
      }
    } else if (op == 5 && !streams.empty()) {  // the stream ends, cleanly or not
      StreamRef ref = pick(in);
      static const Errc codes[] = {Errc::closed, Errc::too_large, Errc::truncated, Errc::timeout};
      streams.erase(ref);
      rr.on_stream_closed(ref, make_error(codes[in.byte() % 4], "end"), now);
    } else if (op == 6 && !inbound_ids.empty()) {  // we answer, answer nothing, or reject
      RequestId id = inbound_ids[in.byte() % inbound_ids.size()];
      uint8_t how = in.byte() % 3;
      if (how == 0) (void)rr.respond(id, Bytes(in.byte() % 64, 3));
      if (how == 1) (void)rr.respond_nothing(id);
      if (how == 2) rr.reject(id, "bad");
    } else if (op == 7) {
      now += std::chrono::milliseconds(in.u32() % 30000);
      rr.on_timer(now);
    } else if (op == 8) {  // both sides closed: the runtime ends the stream
      for (auto it = streams.begin(); it != streams.end();) {
        if (it->second.our_close && it->second.peer_close) {
          StreamRef ref = it->first;
          it = streams.erase(it);
          rr.on_stream_closed(ref, make_error(Errc::closed, "both closed"), now);
        } else {
          ++it;
        }
      }
    } else if (op == 9 && !opening.empty()) {  // an answer on an outbound stream
      if (!streams.empty()) {
        StreamRef ref = pick(in);
        Bytes m(in.byte() % 64, 4);
        rr.on_message(ref, m, now);
      }
    } else if (op == 10) {
      (void)rr.next_timer();
    }
    drain();
    check_bounds();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Runtime rt;
  for (int i = 0; i < 512 && !in.empty(); ++i) rt.step(in);
  // The runtime ends every stream and opens nothing more; after the timers nothing is in flight.
  for (const OpenStream& o : rt.opening)
    rt.rr.on_stream_open_failed({o.tag, o.peer, o.protocol, make_error(Errc::closed, "end")},
                                rt.now);
  rt.opening.clear();
  std::vector<StreamRef> refs;
  for (auto& [ref, s] : rt.streams) refs.push_back(ref);
  rt.streams.clear();
  for (const StreamRef& ref : refs)
    rt.rr.on_stream_closed(ref, make_error(Errc::closed, "end"), rt.now);
  rt.drain();
  rt.now += std::chrono::hours(1);
  rt.rr.on_timer(rt.now);
  rt.drain();
  check(rt.rr.outbound() == 0);
  check(rt.rr.inbound() == 0);
  check(rt.rr.streams() == 0);
  check(!rt.rr.next_timer().has_value());
  return 0;
}
