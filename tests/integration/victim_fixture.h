// A victim node and an honest peer in one process, on one io thread, for the attack tests: the
// test configures the victim, attacks it from its own sockets, and asks the honest peer to ping
// the victim (connecting first if needed) to show it is still served.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "attacker.h"

namespace agora::test {

class VictimAndHonestPeer : public ::testing::Test {
 protected:
  // Both listen on 127.0.0.1; the honest peer dials from 127.0.0.1 (network 127.0.0.0/24), so
  // attackers that must count as other hosts or networks use other 127.x.y.z addresses.
  void start(store::Config victim, store::Config honest = {}) {
    victim.listen = {"/ip4/127.0.0.1/tcp/0"};
    victim_ = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), victim);
    honest.listen = {"/ip4/127.0.0.1/tcp/0"};
    honest_ = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), honest);
    ASSERT_TRUE(victim_->start().ok());
    ASSERT_TRUE(honest_->start().ok());
    victim_addr_ = victim_->swarm().listen_addrs().at(0).with_peer_id(victim_->peer_id());
    victim_port_ = victim_addr_.tcp_endpoint()->port;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] {
      if (victim_) victim_->stop();
      if (honest_) honest_->stop();
    });
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
    honest_.reset();
    victim_.reset();
  }

  // The honest peer connects (or reuses its connection) and pings once: the round trip.
  Result<Duration> honest_ping() {
    auto fut = spawn_future(io_.get_executor(), ping_once());
    if (fut.wait_for(kAttackWait) != std::future_status::ready)
      return make_error(Errc::timeout, "honest peer: no answer");
    return fut.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<node::Node> victim_;
  std::unique_ptr<node::Node> honest_;
  Multiaddr victim_addr_;
  uint16_t victim_port_ = 0;
  std::thread thread_;

 private:
  // A member coroutine, not a lambda: its frame keeps `this`, a temporary closure would not.
  rt::awaitable<Result<Duration>> ping_once() {
    auto conn = co_await honest_->connect(victim_addr_);
    if (!conn) co_return conn.error();
    auto rtts = co_await honest_->ping().ping(*conn, 1);
    if (!rtts) co_return rtts.error();
    co_return rtts->at(0);
  }
};

}  // namespace agora::test
