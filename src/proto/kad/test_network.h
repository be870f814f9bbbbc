// A network of Kad cores wired directly, for end-to-end tests: requests and answers travel as
// encoded bytes with a random 10-100 ms latency, in virtual time, and every core's timers fire.
// Nodes can be made silent (never answer), unreachable (connections refused) or garbage (answer
// with made-up peers).
#pragma once

#include <map>
#include <memory>
#include <queue>
#include <set>
#include <vector>

#include "proto/kad/kad.h"
#include "proto/kad/test_util.h"

namespace agora::kad::test {

enum class Behaviour { honest, silent, unreachable, garbage };

class TestNetwork {
 public:
  TestNetwork(size_t n, KadConfig config, uint64_t seed = 1) : seed_(seed), rng_(seed) {
    for (size_t i = 0; i < n; ++i) add_node(config);
  }

  // A node with its own config (e.g. disjoint paths), not yet connected: see join().
  size_t add_node(KadConfig config) {
    const size_t i = nodes_.size();
    config.rng_seed = seed_ * 1000003 + i;
    nodes_.push_back(std::make_unique<Kad>(peer(i), config));
    nodes_.back()->set_self_addrs({addr(i)});
    index_[nodes_.back()->self()] = i;
    behaviour_.push_back(Behaviour::honest);
    return i;
  }

  // Node i connects to `contacts` random other nodes and bootstraps.
  void join(size_t i, size_t contacts = 3) {
    for (size_t c = 0; c < contacts; ++c) {
      size_t other = random() % size();
      if (other != i) connect(i, other);
    }
    (void)nodes_[i]->bootstrap(now_);
    flush(i);
    run();
  }

  static Bytes addr(size_t i) {
    return Bytes{0x04, 10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i), 0x06, 0x0f, 0xa1};
  }
  PeerInfo info_of(size_t i) const { return PeerInfo{nodes_[i]->self(), {addr(i)}}; }
  Kad& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  size_t index_of(const PeerId& id) const { return index_.at(id); }
  void set_behaviour(size_t i, Behaviour b) { behaviour_[i] = b; }
  Behaviour behaviour(size_t i) const { return behaviour_[i]; }
  Instant now() const { return now_; }

  // a and b connect; both speak kad as servers.
  void connect(size_t a, size_t b) {
    nodes_[a]->on_peer_connected(info_of(b), true, Direction::outbound, now_);
    nodes_[b]->on_peer_connected(info_of(a), true, Direction::inbound, now_);
    flush(a);
    flush(b);
  }

  // Each node joins through `contacts` random earlier nodes and bootstraps; with `second_round`
  // everyone bootstraps once more, so early nodes learn about later ones.
  void build(size_t contacts = 3, bool second_round = true) {
    for (size_t i = 1; i < size(); ++i) {
      for (size_t c = 0; c < contacts && c < i; ++c) connect(i, random() % i);
      (void)nodes_[i]->bootstrap(now_);
      flush(i);
      run();
    }
    for (size_t i = 0; i < size() && second_round; ++i) {
      (void)nodes_[i]->bootstrap(now_);
      flush(i);
    }
    run();
  }

  // Call after starting operations on node i.
  void flush(size_t i) {
    Kad& kad = *nodes_[i];
    while (auto r = kad.poll_outbound()) send(i, std::move(*r));
    while (auto e = kad.poll_event()) {
      if (auto* f = std::get_if<QueryFinished>(&*e)) finished_[{i, f->query}] = std::move(*f);
      if (auto* s = std::get_if<QueryStep>(&*e)) steps_[{i, s->query}].push_back(std::move(*s));
    }
    if (auto t = kad.next_timer()) timers_.emplace(*t, i);
  }

  // Delivers messages and fires timers until no request is in flight anywhere (periodic timers
  // alone do not keep it going), or until now + horizon.
  void run(Duration horizon = std::chrono::minutes(1)) {
    const Instant end = now_ + horizon;
    for (;;) {
      if (queue_.empty() && !any_in_flight()) break;
      const bool have_msg = !queue_.empty();
      const bool have_timer = !timers_.empty();
      if (!have_msg && !have_timer) break;
      const bool take_timer = have_timer && (!have_msg || timers_.begin()->first < queue_.top().at);
      const Instant at = take_timer ? timers_.begin()->first : queue_.top().at;
      if (at > end) break;
      if (take_timer) {
        const size_t i = timers_.begin()->second;
        timers_.erase(timers_.begin());
        // Entries go stale when a node's timer moves; a stale one must not advance time.
        auto t = nodes_[i]->next_timer();
        if (t && *t <= at) {
          now_ = std::max(now_, at);
          nodes_[i]->on_timer(now_);
          flush(i);
        }
        continue;
      }
      now_ = std::max(now_, at);
      // Moving out of top() is safe: the heap order only looks at `at` and `seq`.
      Delivery d = std::move(const_cast<Delivery&>(queue_.top()));
      queue_.pop();
      deliver(d);
    }
  }

  // The result of query `q` of node i, once finished.
  const QueryFinished* result(size_t i, QueryId q) const {
    auto it = finished_.find({i, q});
    return it == finished_.end() ? nullptr : &it->second;
  }

  const std::vector<QueryStep>& steps(size_t i, QueryId q) { return steps_[{i, q}]; }

  // The k nodes closest to `key` (by brute force), optionally only honest ones.
  std::vector<PeerId> true_closest(const Key& key, size_t k, bool responsive_only = false) const {
    std::vector<PeerId> all;
    for (size_t i = 0; i < size(); ++i) {
      const Behaviour b = behaviour_[i];
      if (responsive_only && (b == Behaviour::silent || b == Behaviour::unreachable)) continue;
      all.push_back(nodes_[i]->self());
    }
    std::sort(all.begin(), all.end(), [&](const PeerId& a, const PeerId& b) {
      return distance(Key::of(a), key) < distance(Key::of(b), key);
    });
    all.resize(std::min(k, all.size()));
    return all;
  }

  uint64_t random() { return splitmix(rng_); }

  // Observed per node: lookup requests of one type sent and not yet answered, and the maximum.
  struct Flight {
    size_t now = 0;
    size_t max = 0;
  };
  Flight& flight(size_t i, MessageType type) { return flights_[{i, type}]; }
  // Count requests about `key` (for asked()).
  void track(const Bytes& key) { tracked_.insert(key); }
  // How many times node `from` asked `to` about a tracked `key`.
  size_t asked(size_t from, size_t to, const Bytes& key) const {
    auto it = asked_.find({from, to, key});
    return it == asked_.end() ? 0 : it->second;
  }
  uint64_t messages() const { return messages_; }
  const std::map<MessageType, uint64_t>& messages_by_type() const { return by_type_; }

 private:
  enum class Kind { request, response, failure };
  struct Delivery {
    Instant at;
    uint64_t seq;
    Kind kind;
    size_t from;  // the requester
    size_t to;    // the asked node
    RequestId id;
    bool expect_response;
    MessageType type;
    Bytes bytes;
    std::string reason;
    bool operator>(const Delivery& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
  };

  bool any_in_flight() const {
    for (const auto& n : nodes_)
      if (n->requests_in_flight() > 0) return true;
    return false;
  }

  Duration latency() { return milliseconds(10 + int64_t(random() % 91)); }

  void push(Delivery d) {
    d.seq = seq_++;
    queue_.push(std::move(d));
  }

  void send(size_t from, OutboundRequest r) {
    ++messages_;
    ++by_type_[r.message.type];
    auto it = index_.find(r.to.id);
    const MessageType type = r.message.type;
    if (r.expect_response) {
      Flight& f = flight(from, type);
      f.max = std::max(f.max, ++f.now);
    }
    if (it != index_.end() && tracked_.count(r.message.key))
      ++asked_[{from, it->second, r.message.key}];
    if (it == index_.end() || behaviour_[it->second] == Behaviour::unreachable) {
      if (r.expect_response)
        push({now_ + latency(), 0, Kind::failure, from, 0, r.id, true, type, {}, "unreachable"});
      return;
    }
    push({now_ + latency(),
          0,
          Kind::request,
          from,
          it->second,
          r.id,
          r.expect_response,
          type,
          encode(r.message),
          {}});
  }

  void deliver(const Delivery& d) {
    if (d.kind == Kind::request) return on_request(d);
    Kad& kad = *nodes_[d.from];
    Flight& f = flight(d.from, d.type);
    if (f.now > 0) --f.now;
    if (d.kind == Kind::failure) {
      kad.on_request_failed(d.id, d.reason, now_);
    } else if (auto m = decode(d.bytes)) {
      kad.on_response(d.id, *m, now_);
    } else {
      kad.on_request_failed(d.id, m.error().to_string(), now_);
    }
    flush(d.from);
  }

  void on_request(const Delivery& d) {
    const Behaviour b = behaviour_[d.to];
    if (b == Behaviour::silent) return;  // the requester times out
    // The runtime reports the inbound connection, with identify saying the requester is a server.
    if (connected_.size() < size()) connected_.resize(size());
    std::vector<bool>& inbound = connected_[d.to];
    if (inbound.size() < size()) inbound.resize(size(), false);
    if (!inbound[d.from]) {
      inbound[d.from] = true;
      nodes_[d.to]->on_peer_connected(info_of(d.from), true, Direction::inbound, now_);
      flush(d.to);
    }
    auto m = decode(d.bytes);
    Delivery back{now_ + latency(), 0, Kind::response, d.from, d.to, d.id, true, d.type, {}, {}};
    if (!m) {
      back.kind = Kind::failure;
      back.reason = m.error().to_string();
    } else if (b == Behaviour::garbage) {
      Message junk;
      junk.type = m->type;
      for (int i = 0; i < 20; ++i)
        junk.closer_peers.push_back(Peer{peer(10'000'000 + random() % 1'000'000), {}, {}});
      back.bytes = encode(junk);
    } else {
      auto r = nodes_[d.to]->handle_request(nodes_[d.from]->self(), *m, now_);
      flush(d.to);
      if (!r) {
        back.kind = Kind::failure;
        back.reason = r.error().to_string();
      } else if (*r) {
        back.bytes = encode(**r);
      } else {
        back.kind = Kind::failure;  // no response for this request type
        back.reason = "no response";
      }
    }
    if (d.expect_response) push(std::move(back));
  }

  std::vector<std::unique_ptr<Kad>> nodes_;
  std::vector<Behaviour> behaviour_;
  std::map<PeerId, size_t> index_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<Delivery>> queue_;
  std::set<std::pair<Instant, size_t>> timers_;
  std::map<std::pair<size_t, QueryId>, QueryFinished> finished_;
  std::map<std::pair<size_t, QueryId>, std::vector<QueryStep>> steps_;
  std::map<std::pair<size_t, MessageType>, Flight> flights_;
  std::vector<std::vector<bool>> connected_;  // [to][from]: inbound connection reported
  std::set<Bytes> tracked_;
  std::map<std::tuple<size_t, size_t, Bytes>, size_t> asked_;
  Instant now_ = kT0;
  uint64_t seq_ = 0;
  uint64_t seed_;
  uint64_t rng_;
  uint64_t messages_ = 0;
  std::map<MessageType, uint64_t> by_type_;
};

}  // namespace agora::kad::test
