// Bad input against a running node: garbage, forged Noise identities, frames over the limits,
// stream and connection floods. Each case checks that the node closes the offending connection,
// counts it (metrics and/or events), and still serves a well-behaved peer afterwards.
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "attacker.h"
#include "node/node.h"
#include "node_test_util.h"
#include "proto/multistream/multistream.h"
#include "proto/noise/noise_payload.h"
#include "proto/noise/noise_xx_state.h"
#include "proto/yamux/yamux_frame.h"
#include "raw_socket.h"
#include "runtime/asio/upgrade.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
using test::RawSocket;

constexpr auto kWait = 10s;  // generous: the machine may be busy; never a timing assertion

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = kWait) {
  return test::eventually(cond, timeout);
}
using test::complete_frames;
using test::count_events;
using test::frame;
using test::metric;
using test::metric_sum;
using test::SecuredAttacker;
using test::spawn_future;
using test::upgrade_attacker;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Config target;
    target.listen = {"/ip4/127.0.0.1/tcp/0"};
    target.limits.handshake_timeout_ms = 500;
    target.limits.pending_inbound_handshakes_max = 8;
    target.limits.inbound_streams_per_connection_max = 16;
    node1_ = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), target);
    store::Config good;
    good.listen = {"/ip4/127.0.0.1/tcp/0"};
    node2_ = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), good);
    ASSERT_TRUE(node1_->start().ok());
    ASSERT_TRUE(node2_->start().ok());
    addr1_ = node1_->swarm().listen_addrs().at(0).with_peer_id(node1_->peer_id());
    port1_ = addr1_.tcp_endpoint()->port;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] {
      node1_->stop();
      node2_->stop();
    });
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
    node2_.reset();
    node1_.reset();
  }

  // The well-behaved peer: node2 connects to node1 (fresh or reused) and pings once.
  Status good_peer_pings() {
    auto fut = asio::co_spawn(
        io_,
        [this]() -> rt::awaitable<Status> {
          auto conn = co_await node2_->connect(addr1_);
          if (!conn) co_return conn.error();
          auto rtts = co_await node2_->ping().ping(*conn, 1);
          if (!rtts) co_return rtts.error();
          co_return Status{};
        },
        asio::use_future);
    if (fut.wait_for(kWait) != std::future_status::ready)
      return make_error(Errc::timeout, "good peer: no answer");
    return fut.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<node::Node> node1_;  // the target
  std::unique_ptr<node::Node> node2_;  // the well-behaved peer
  Multiaddr addr1_;
  uint16_t port1_ = 0;
  std::thread thread_;
};

// Both ends of a connection turn Nagle off; inbound sockets once did not (first replies took 40
// ms).
TEST_F(BadInputTest, BothEndsSetTcpNoDelay) {
  ASSERT_TRUE(good_peer_pings().ok());
  auto fut = asio::co_spawn(
      io_,
      [this]() -> rt::awaitable<std::pair<bool, bool>> {
        auto out = node2_->swarm().connection_to(node1_->peer_id());
        auto in = node1_->swarm().connection_to(node2_->peer_id());
        co_return std::pair{out && out->tcp_no_delay(), in && in->tcp_no_delay()};
      },
      asio::use_future);
  ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
  auto [outbound, inbound] = fut.get();
  EXPECT_TRUE(outbound);
  EXPECT_TRUE(inbound);
}

// 1. Garbage on the listening port.
TEST_F(BadInputTest, RandomBytesAreRefused) {
  std::mt19937 rng(1234);
  Bytes garbage(4096);
  for (auto& b : garbage) b = uint8_t(rng());
  garbage[0] = 0xff;  // a varint length far over the multistream message limit
  garbage[1] = 0xff;
  RawSocket s = RawSocket::connect_loopback(port1_);
  ASSERT_TRUE(s.ok());
  s.send_all(garbage);
  EXPECT_TRUE(s.wait_closed(kWait));
  EXPECT_TRUE(
      eventually([&] { return metric_sum(*node1_, "agora_handshake_failures_total") == 1; }));
  EXPECT_EQ(metric(*node1_, "agora_connections_opened_total{direction=\"inbound\"}"), 0);
  EXPECT_TRUE(eventually([&] {
    size_t n = 0;
    for (auto& e : node1_->events().since(0, 1000))
      n += e.type == observe::EventType::handshake_failed && !e.reason.empty();
    return n == 1;
  }));
  EXPECT_TRUE(good_peer_pings().ok());
}

TEST_F(BadInputTest, HttpRequestIsRefused) {
  RawSocket s = RawSocket::connect_loopback(port1_);
  ASSERT_TRUE(s.ok());
  s.send_all(to_bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88\r\n\r\n"));
  Bytes reply;
  EXPECT_TRUE(s.wait_closed(kWait, &reply));
  EXPECT_EQ(std::string(reply.begin(), reply.end()).find("HTTP"), std::string::npos);
  EXPECT_TRUE(
      eventually([&] { return metric_sum(*node1_, "agora_handshake_failures_total") == 1; }));
  EXPECT_EQ(metric_sum(*node1_, "agora_connections_opened_total"), 0);
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

// 2. A Noise handshake whose identity signature does not verify.
TEST_F(BadInputTest, NoiseIdentitySignedByAnotherKeyIsRefused) {
  RawSocket s = RawSocket::connect_loopback(port1_);
  ASSERT_TRUE(s.ok());
  // multistream-select /noise, as a real dialer.
  multistream::MultistreamDialer dialer(std::vector<std::string>{rt::kNoiseProtocol});
  Bytes out;
  dialer.take_output(out);
  ASSERT_TRUE(s.send_all(out));
  Bytes in;
  Status dial_status;
  s.read_until(
      in,
      [&] {
        if (!in.empty() && dial_status.ok()) {
          dial_status = dialer.on_bytes(in);
          in.clear();
        }
        return dialer.done() || !dial_status.ok();
      },
      kWait);
  ASSERT_TRUE(dialer.done()) << (dial_status.ok() ? "" : dial_status.error().to_string());
  ASSERT_EQ(dialer.selected(), rt::kNoiseProtocol);

  // Noise XX by hand, so message 3 can carry a forged payload.
  auto static_key = crypto::X25519KeyPair::generate();
  noise::XxHandshakeState xx(true, static_key, {}, crypto::X25519KeyPair::generate());
  Bytes msg1(2);
  ASSERT_TRUE(xx.write_message({}, msg1).ok());
  put_u16_be(msg1.data(), uint16_t(msg1.size() - 2));
  ASSERT_TRUE(s.send_all(msg1));
  Bytes msg2 = dialer.take_rest();
  auto whole = [&] { return msg2.size() >= 2 && msg2.size() >= 2u + get_u16_be(msg2.data()); };
  ASSERT_TRUE(s.read_until(msg2, whole, kWait));
  Bytes node_payload;
  ASSERT_TRUE(
      xx.read_message(BytesView(msg2).subspan(2, get_u16_be(msg2.data())), node_payload).ok());

  // The payload claims identity A but the static key is signed by B.
  auto claimed = crypto::Ed25519PrivateKey::generate();
  auto signer = crypto::Ed25519PrivateKey::generate();
  noise::NoiseHandshakePayload payload;
  payload.identity_key = encode_public_key(
      {KeyType::ed25519, Bytes(claimed.public_key().begin(), claimed.public_key().end())});
  Bytes signed_text = to_bytes("noise-libp2p-static-key:");
  append(signed_text, static_key.public_key);
  auto sig = signer.sign(signed_text);
  payload.identity_sig.assign(sig.begin(), sig.end());
  Bytes msg3(2);
  ASSERT_TRUE(xx.write_message(noise::encode_noise_payload(payload), msg3).ok());
  put_u16_be(msg3.data(), uint16_t(msg3.size() - 2));
  s.send_all(msg3);

  EXPECT_TRUE(s.wait_closed(kWait));
  EXPECT_TRUE(eventually(
      [&] { return metric(*node1_, "agora_handshake_failures_total{reason=\"crypto\"}") == 1; }));
  EXPECT_TRUE(eventually(
      [&] { return count_events(*node1_, observe::EventType::handshake_failed, "crypto") == 1; }));
  EXPECT_EQ(metric_sum(*node1_, "agora_connections_opened_total"), 0);
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

// 3. The node at the address is not the peer named in /p2p/.
TEST_F(BadInputTest, DialWithWrongPeerIdFailsWithPeerMismatch) {
  auto other = crypto::Ed25519PrivateKey::generate();
  PeerId other_id = PeerId::from_public_key(
      {KeyType::ed25519, Bytes(other.public_key().begin(), other.public_key().end())});
  Multiaddr wrong = addr1_.with_peer_id(other_id);
  auto fut = spawn_future(io_.get_executor(), node2_->connect(wrong));
  ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
  auto conn = fut.get();
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code, Errc::peer_mismatch) << conn.error().to_string();
  EXPECT_EQ(metric(*node2_, "agora_handshake_failures_total{reason=\"peer_mismatch\"}"), 1);
  EXPECT_EQ(count_events(*node2_, observe::EventType::handshake_failed, "peer_mismatch"), 1);
  // node1 sees its dialer hang up mid-handshake.
  EXPECT_TRUE(
      eventually([&] { return metric_sum(*node1_, "agora_handshake_failures_total") == 1; }));
  EXPECT_EQ(metric_sum(*node1_, "agora_connections_opened_total"), 0);
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

// 4. Yamux frames that break the rules after a genuine upgrade.
void expect_protocol_go_away(SecuredAttacker& a) {
  auto has_go_away = [](const std::vector<yamux::YamuxHeader>& frames) {
    for (auto& f : frames)
      if (f.type == yamux::YamuxType::go_away) return true;
    return false;
  };
  a.read_until(has_go_away);
  EXPECT_TRUE(a.sock.wait_closed(kWait));
  EXPECT_FALSE(a.decrypt_failed);
  auto frames = complete_frames(a.plain);
  auto it = std::find_if(frames.begin(), frames.end(),
                         [](auto& f) { return f.type == yamux::YamuxType::go_away; });
  ASSERT_NE(it, frames.end()) << "no GoAway before the close";
  EXPECT_EQ(it->length, uint32_t(yamux::YamuxGoAwayCode::protocol_error));
}

TEST_F(BadInputTest, DataFrameOverTheReceiveWindowClosesWithProtocolError) {
  auto attacker = upgrade_attacker(port1_, node1_->peer_id());
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  Bytes bytes =
      frame(yamux::YamuxType::data, yamux::yamux_flag::syn, 1, yamux::kYamuxSpecWindowBytes + 1);
  bytes.resize(bytes.size() + 4096, 0xab);
  attacker->send_plain(bytes);
  expect_protocol_go_away(*attacker);
  EXPECT_TRUE(eventually(
      [&] { return metric(*node1_, "agora_connections_closed_total{reason=\"protocol\"}") == 1; }));
  EXPECT_TRUE(eventually([&] {
    return count_events(*node1_, observe::EventType::connection_closed, "protocol") == 1;
  }));
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

TEST_F(BadInputTest, YamuxVersionOneClosesWithProtocolError) {
  auto attacker = upgrade_attacker(port1_, node1_->peer_id());
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  Bytes bytes = frame(yamux::YamuxType::window_update, yamux::yamux_flag::syn, 1, 0);
  bytes[0] = 1;
  attacker->send_plain(bytes);
  expect_protocol_go_away(*attacker);
  EXPECT_TRUE(eventually(
      [&] { return metric(*node1_, "agora_connections_closed_total{reason=\"protocol\"}") == 1; }));
  EXPECT_TRUE(eventually([&] {
    return count_events(*node1_, observe::EventType::connection_closed, "protocol") == 1;
  }));
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

// 5. 200 SYNs on one connection with a limit of 16 inbound streams.
TEST_F(BadInputTest, StreamFloodIsResetAndTheConnectionSurvives) {
  auto attacker = upgrade_attacker(port1_, node1_->peer_id());
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  constexpr int kStreams = 200, kLimit = 16;
  Bytes syns;
  for (int i = 0; i < kStreams; ++i)
    append(syns, frame(yamux::YamuxType::window_update, yamux::yamux_flag::syn,
                       yamux::StreamId(2 * i + 1), 0));
  ASSERT_TRUE(attacker->send_plain(syns));
  auto resets = [](const std::vector<yamux::YamuxHeader>& frames) {
    size_t n = 0;
    for (auto& f : frames) n += (f.flags & yamux::yamux_flag::rst) && f.stream % 2 == 1;
    return n;
  };
  EXPECT_TRUE(attacker->read_until([&](auto& f) { return resets(f) >= kStreams - kLimit; }));
  EXPECT_EQ(resets(complete_frames(attacker->plain)), size_t(kStreams - kLimit));
  // The connection itself is still served: a yamux ping is answered.
  ASSERT_TRUE(
      attacker->send_plain(frame(yamux::YamuxType::ping, yamux::yamux_flag::syn, 0, 0x5eed)));
  auto pong = [](const std::vector<yamux::YamuxHeader>& frames) {
    for (auto& f : frames)
      if (f.type == yamux::YamuxType::ping && (f.flags & yamux::yamux_flag::ack) &&
          f.length == 0x5eed)
        return true;
    return false;
  };
  EXPECT_TRUE(attacker->read_until(pong));
  EXPECT_FALSE(attacker->sock.peer_closed());
  EXPECT_EQ(metric(*node1_, "agora_connections_open"), 1);
  EXPECT_EQ(metric(*node1_, "agora_streams_opened_total{direction=\"inbound\"}"), kLimit);
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

// 6. 50 TCP connections that never speak, with 8 handshake slots and a 500 ms timeout.
TEST_F(BadInputTest, HalfOpenFloodIsCutOff) {
  constexpr int kConnections = 50, kSlots = 8;
  std::vector<RawSocket> sockets;
  for (int i = 0; i < kConnections; ++i) {
    sockets.push_back(RawSocket::connect_loopback(port1_));
    ASSERT_TRUE(sockets.back().ok());
  }
  for (auto& s : sockets) EXPECT_TRUE(s.wait_closed(kWait));
  const std::string limit = "agora_limit_hits_total{limit=\"pending_inbound_handshakes_max\"}";
  const std::string timeout = "agora_handshake_failures_total{reason=\"timeout\"}";
  EXPECT_TRUE(eventually(
      [&] { return metric(*node1_, limit) + metric(*node1_, timeout) == kConnections; }));
  // The first kSlots always get a slot and time out; how many more do depends on scheduling.
  EXPECT_GE(metric(*node1_, timeout), kSlots);
  EXPECT_GE(metric(*node1_, limit), 1);
  EXPECT_EQ(metric_sum(*node1_, "agora_handshake_failures_total"), metric(*node1_, timeout));
  EXPECT_EQ(double(count_events(*node1_, observe::EventType::limit_hit,
                                "pending_inbound_handshakes_max")),
            metric(*node1_, limit));
  EXPECT_EQ(double(count_events(*node1_, observe::EventType::handshake_failed, "timeout")),
            metric(*node1_, timeout));
  // Every slot was given back: a good peer gets one.
  auto st = good_peer_pings();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

}  // namespace
}  // namespace agora
