// Bad input to the DHT of a running node, from a peer that speaks /ipfs/kad/1.0.0 by hand:
// malformed and oversized requests, invalid records, provider records for other peers, answers
// with 10,000 (or 65) closer peers, invalid records in answers, stream floods. Each is refused,
// counted in agora_dht_bad_input_total{kind} with a peer_misbehaved event, stores nothing, and
// the node keeps answering an honest peer.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "codec/lp_frame.h"
#include "codec/varint.h"
#include "crypto/random.h"
#include "node/node.h"
#include "node_test_util.h"
#include "proto/kad/records.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 20s;  // generous: the machine may be busy; never a timing assertion
const std::string kKad(kad::kProtocolId);

using test::metric;
bool eventually(const std::function<bool()>& cond) { return test::eventually(cond, kWait); }

double bad_input(node::Node& node, const std::string& kind) {
  return metric(node, "agora_dht_bad_input_total{kind=\"" + kind + "\"}");
}

// Occurrences the events record, a summary by its count. The read is at the end of time, so
// every summary window has ended and been recorded.
size_t misbehaved_events(node::Node& node, const std::string& kind) {
  return test::count_events(node, [&](const observe::Event& e) {
    return e.type == observe::EventType::peer_misbehaved && e.reason == kind && e.protocol == kKad;
  });
}

PeerId random_peer() {
  return PeerId::from_public_key({KeyType::ed25519, crypto::random_bytes(32)});
}

Bytes content_key(std::string_view name) {
  return encode_multihash(multihash_sha2_256(as_bytes(name)));
}

kad::Message request(kad::MessageType type, Bytes key) {
  kad::Message m;
  m.type = type;
  m.key = std::move(key);
  return m;
}

class DhtBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    victim_ = make_node();
    honest_ = make_node();
    attacker_ = make_node();
    ASSERT_TRUE(victim_->start_dht("").ok());
    ASSERT_TRUE(honest_->start_dht("").ok());
    thread_ = std::thread([this] { io_.run(); });
    victim_addr_ = victim_->swarm().listen_addrs().at(0).with_peer_id(victim_->peer_id());
  }

  void TearDown() override {
    asio::post(io_, [this] {
      for (node::Node* n : {victim_.get(), honest_.get(), attacker_.get()}) n->stop();
    });
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
    attacker_.reset();
    honest_.reset();
    victim_.reset();
  }

  std::unique_ptr<node::Node> make_node() {
    store::Config c;
    c.listen = {"/ip4/127.0.0.1/tcp/0"};
    auto node = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), c);
    EXPECT_TRUE(node->start().ok());
    return node;
  }

  template <class F>
  auto on_loop(F fn) -> decltype(fn()) {
    return test::on_loop(io_, fn);
  }

  template <class T>
  std::optional<T> await(std::function<rt::awaitable<T>()> task) {
    return test::await_on_loop<T>(io_, std::move(task), kWait);
  }

  // The attacker opens a kad stream to the victim and writes `bytes`; returns what came back
  // before the stream ended (reset or closed) and whether it was reset.
  struct Exchange {
    Bytes answer;
    bool reset = false;
  };
  Exchange send_raw(Bytes bytes) {
    auto r = await<Result<Exchange>>([this, bytes]() -> rt::awaitable<Result<Exchange>> {
      auto conn = co_await attacker_->connect(victim_addr_);
      if (!conn) co_return conn.error();
      std::vector<std::string> protocols{kKad};
      auto stream = co_await attacker_->swarm().open_stream(*conn, protocols);
      if (!stream) co_return stream.error();
      if (Status st = co_await (*stream)->write_all(bytes); !st) co_return st.error();
      (*stream)->close_write();
      Exchange ex;
      uint8_t buf[4096];
      for (;;) {
        auto n = co_await (*stream)->read_some(buf, sizeof buf);
        if (!n) {
          ex.reset = true;
          break;
        }
        if (*n == 0) break;
        ex.answer.insert(ex.answer.end(), buf, buf + *n);
      }
      co_return ex;
    });
    EXPECT_TRUE(r && *r) << (r && !*r ? r->error().message : "timeout");
    return r && *r ? **r : Exchange{};
  }
  Exchange send_request(const kad::Message& m) { return send_raw(lp_encode(kad::encode(m))); }

  // The honest peer connects to the victim and waits until identify put it in its routing table.
  rt::awaitable<Status> honest_knows_victim() {
    auto conn = co_await honest_->connect(victim_addr_);
    if (!conn) co_return conn.error();
    for (int i = 0; i < 400; ++i) {
      if (honest_->dht()->core().routing_table().contains(victim_->peer_id())) co_return Status{};
      asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
      co_await t.async_wait(rt::use_nothrow);
    }
    co_return make_error(Errc::timeout, "the victim never entered the honest routing table");
  }

  // The honest peer asks the victim for the providers of `key`.
  std::optional<std::vector<kad::PeerInfo>> honest_get_providers(Bytes key) {
    auto r = await<Result<kad::QueryFinished>>(
        [this, key]() -> rt::awaitable<Result<kad::QueryFinished>> {
          if (Status st = co_await honest_knows_victim(); !st) co_return st.error();
          // Named, not written inside co_await: see KadService::run on GCC 12.
          KadService::StartFn start = [key](kad::Kad& k, Instant now) {
            return k.get_providers(key, now);
          };
          co_return co_await honest_->dht()->run(start, no_steps_);
        });
    if (!r || !*r) return std::nullopt;
    return (*r)->providers;
  }

  // The victim still serves: the honest peer's lookup gets an answer from it.
  bool victim_still_answers() {
    auto r =
        await<Result<kad::QueryFinished>>([this]() -> rt::awaitable<Result<kad::QueryFinished>> {
          if (Status st = co_await honest_knows_victim(); !st) co_return st.error();
          KadService::StartFn start = [](kad::Kad& k, Instant now) {
            return k.find_node(random_peer(), now);
          };
          co_return co_await honest_->dht()->run(start, no_steps_);
        });
    if (!r || !*r) return false;
    for (const kad::PeerInfo& p : (*r)->closest)
      if (p.id == victim_->peer_id()) return true;
    return false;
  }

  // The attacker serves kad with `answer(request)` and waits until the victim lists it as a DHT
  // server (identify told it so).
  void attacker_serves(std::function<Bytes(const kad::Message&)> answer) {
    on_loop([&] {
      attacker_->swarm().set_handler(
          kKad, [answer](std::shared_ptr<rt::Stream> s) -> rt::awaitable<void> {
            LpReader reader(1 << 20);
            uint8_t buf[4096];
            for (;;) {
              auto n = co_await s->read_some(buf, sizeof buf);
              if (!n || *n == 0) co_return;
              reader.feed({buf, *n});
              auto frame = reader.next();
              if (!frame) co_return;
              if (!*frame) continue;
              auto m = kad::decode(**frame);
              if (!m) co_return;
              const Bytes out = answer(*m);
              (void)co_await s->write_all(out);
              s->close_write();
              // Until the victim is done with it: a stream dropped now would be reset, and a
              // reset can overtake the answer.
              while (true) {
                auto rest = co_await s->read_some(buf, sizeof buf);
                if (!rest || *rest == 0) co_return;
              }
            }
          });
      return 0;
    });
    auto connected = await<Status>([this]() -> rt::awaitable<Status> {
      auto conn = co_await attacker_->connect(victim_addr_);
      if (!conn) co_return conn.error();
      co_return Status{};
    });
    ASSERT_TRUE(connected && connected->ok());
    ASSERT_TRUE(eventually([&] {
      return on_loop(
          [&] { return victim_->dht()->core().routing_table().contains(attacker_->peer_id()); });
    })) << "the victim never put the attacker in its routing table";
  }

  // The victim looks up something; its query must end (with or without success).
  std::optional<kad::QueryFinished> victim_lookup(
      std::function<Result<kad::QueryId>(kad::Kad&, Instant)> start) {
    auto r = await<Result<kad::QueryFinished>>(
        [this, start]() -> rt::awaitable<Result<kad::QueryFinished>> {
          co_return co_await victim_->dht()->run(start, no_steps_);
        });
    if (!r || !*r) return std::nullopt;
    return **r;
  }

  const KadService::StepFn no_steps_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<node::Node> victim_;
  std::unique_ptr<node::Node> honest_;
  std::unique_ptr<node::Node> attacker_;  // no DHT of its own: it speaks kad by hand
  Multiaddr victim_addr_;
  std::thread thread_;
};

TEST_F(DhtBadInputTest, MalformedRequestIsRefusedAndCounted) {
  Bytes garbage = lp_encode(to_bytes("\x08\x04\x12\xff\xff\xff\x0f not protobuf"));
  EXPECT_TRUE(send_raw(garbage).reset);
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "malformed") == 1; }));
  EXPECT_EQ(misbehaved_events(*victim_, "malformed"), 1u);
  // A varint length prefix that never ends is malformed too.
  EXPECT_TRUE(send_raw(Bytes(12, 0xff)).reset);
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "malformed") == 2; }));
  EXPECT_TRUE(victim_still_answers());
}

TEST_F(DhtBadInputTest, OversizedRequestIsRefusedBeforeItIsRead) {
  // The length prefix alone (1 MiB, over message_bytes_max 64 KiB) is enough to refuse it.
  Bytes prefix;
  put_uvarint(prefix, 1 << 20);
  prefix.resize(prefix.size() + 100, 0);
  EXPECT_TRUE(send_raw(prefix).reset);
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "oversized") == 1; }));
  // A request that fits the frame but breaks a message limit: a 300-byte key.
  EXPECT_TRUE(send_request(request(kad::MessageType::find_node, Bytes(300, 7))).reset);
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "over_limit") == 1; }));
  EXPECT_TRUE(victim_still_answers());
}

TEST_F(DhtBadInputTest, InvalidRecordsAreRefusedAndNotStored) {
  // A pk record whose value is some other key.
  PeerId claimed = random_peer();
  auto other = crypto::Ed25519PrivateKey::generate();
  kad::Message put = request(kad::MessageType::put_value, kad::pk_record_key(claimed));
  put.record = kad::Record{put.key,
                           encode_public_key({KeyType::ed25519, Bytes(other.public_key().begin(),
                                                                      other.public_key().end())}),
                           {}};
  EXPECT_TRUE(send_request(put).reset);
  // A namespace without a validator.
  kad::Message ipns = request(kad::MessageType::put_value, to_bytes("/ipns/whatever"));
  ipns.record = kad::Record{ipns.key, to_bytes("value"), {}};
  EXPECT_TRUE(send_request(ipns).reset);
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "invalid_record") == 2; }));
  EXPECT_EQ(misbehaved_events(*victim_, "invalid_record"), 2u);
  EXPECT_EQ(on_loop([&] { return victim_->dht()->core().records().size(); }), 0u);
  // A valid one is stored (the control).
  put.record->value = encode_public_key(claimed.public_key().value());
  auto ok = send_request(put);
  EXPECT_FALSE(ok.reset);
  EXPECT_FALSE(ok.answer.empty());  // the echo
  EXPECT_EQ(on_loop([&] { return victim_->dht()->core().records().size(); }), 1u);
  EXPECT_TRUE(victim_still_answers());
}

TEST_F(DhtBadInputTest, ProviderRecordsForOtherPeersAreDropped) {
  const Bytes key = content_key("some content");
  kad::Message add = request(kad::MessageType::add_provider, key);
  add.provider_peers = {kad::Peer{random_peer(), {}, kad::ConnectionType::connected},
                        kad::Peer{honest_->peer_id(), {}, kad::ConnectionType::connected}};
  EXPECT_FALSE(send_request(add).reset);  // the request itself is fine; its entries are not
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "foreign_provider") == 2; }));
  EXPECT_EQ(misbehaved_events(*victim_, "foreign_provider"), 2u);
  auto none = honest_get_providers(key);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  // Its own entry is stored (the control).
  add.provider_peers = {kad::Peer{attacker_->peer_id(), {}, kad::ConnectionType::connected}};
  EXPECT_FALSE(send_request(add).reset);
  EXPECT_TRUE(eventually([&] {
    auto found = honest_get_providers(key);
    return found && found->size() == 1 && (*found)[0].id == attacker_->peer_id();
  }));
}

TEST_F(DhtBadInputTest, AnswerWithTenThousandCloserPeersIsRefused) {
  attacker_serves([](const kad::Message& req) {
    kad::Message answer = request(req.type, req.key);
    for (int i = 0; i < 10000; ++i)
      answer.closer_peers.push_back({random_peer(), {}, kad::ConnectionType::not_connected});
    return lp_encode(kad::encode(answer));
  });
  auto done =
      victim_lookup([](kad::Kad& k, Instant now) { return k.find_node(random_peer(), now); });
  ASSERT_TRUE(done) << "the lookup did not end";
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "oversized") >= 1; }));
  // It failed a lookup request: out of the routing table, and none of its 10,000 peers came in.
  EXPECT_FALSE(on_loop(
      [&] { return victim_->dht()->core().routing_table().contains(attacker_->peer_id()); }));
  EXPECT_LE(on_loop([&] { return victim_->dht()->core().routing_table().size(); }), 2u);
  EXPECT_TRUE(victim_still_answers());
}

TEST_F(DhtBadInputTest, AnswerOverTheCloserPeersLimitIsRefused) {
  // 65 closer peers fit the 64 KiB frame but not closer_peers_max (64).
  attacker_serves([](const kad::Message& req) {
    kad::Message answer = request(req.type, req.key);
    for (int i = 0; i < 65; ++i)
      answer.closer_peers.push_back({random_peer(), {}, kad::ConnectionType::not_connected});
    return lp_encode(kad::encode(answer));
  });
  ASSERT_TRUE(
      victim_lookup([](kad::Kad& k, Instant now) { return k.find_node(random_peer(), now); }));
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "over_limit") >= 1; }));
  EXPECT_TRUE(victim_still_answers());
}

TEST_F(DhtBadInputTest, InvalidRecordInAnAnswerIsRefused) {
  attacker_serves([](const kad::Message& req) {
    kad::Message answer = request(req.type, req.key);
    auto other = crypto::Ed25519PrivateKey::generate();
    answer.record = kad::Record{
        req.key,
        encode_public_key(
            {KeyType::ed25519, Bytes(other.public_key().begin(), other.public_key().end())}),
        {}};
    return lp_encode(kad::encode(answer));
  });
  const PeerId wanted = random_peer();
  auto done = victim_lookup(
      [&](kad::Kad& k, Instant now) { return k.get_value(kad::pk_record_key(wanted), now); });
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->record) << "a forged record was accepted";
  EXPECT_TRUE(eventually([&] { return bad_input(*victim_, "invalid_record") >= 1; }));
  EXPECT_TRUE(victim_still_answers());
}

const std::string kKadStreamsRefused =
    "agora_refusals_total{limit=\"streams_inbound_max\",protocol=\"/ipfs/kad/1.0.0\","
    "scope=\"peer_protocol\"}";

TEST_F(DhtBadInputTest, InboundStreamFloodIsBounded) {
  // 48 kad streams that send nothing: past inbound_streams_per_peer_max (32) the swarm's resource
  // manager refuses them (scope peer_protocol) and resets them.
  auto opened = await<Result<size_t>>([this]() -> rt::awaitable<Result<size_t>> {
    auto conn = co_await attacker_->connect(victim_addr_);
    if (!conn) co_return conn.error();
    std::vector<std::shared_ptr<rt::Stream>> streams;
    for (int i = 0; i < 48; ++i) {
      std::vector<std::string> protocols{kKad};
      auto s = co_await attacker_->swarm().open_stream(*conn, protocols);
      if (s) streams.push_back(*s);
    }
    // Keep them open until the victim has refused the extra ones.
    asio::steady_timer t(co_await asio::this_coro::executor, 500ms);
    co_await t.async_wait(rt::use_nothrow);
    co_return streams.size();
  });
  ASSERT_TRUE(opened && *opened);
  EXPECT_TRUE(eventually([&] { return metric(*victim_, kKadStreamsRefused) >= 16; }));
  size_t limit_events = 0;
  for (const auto& e : victim_->events().read(0, 100000, INT64_MAX).events)
    if (e.type == observe::EventType::limit_hit && e.reason == "streams_inbound_max" &&
        e.protocol == kKad)
      limit_events += e.count;
  EXPECT_GE(limit_events, 16u);
  EXPECT_TRUE(victim_still_answers());
}

}  // namespace
}  // namespace agora
