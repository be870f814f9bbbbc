// Link, churn and identity models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "codec/multiaddr.h"
#include "runtime/sim/churn_model.h"
#include "runtime/sim/identity.h"
#include "runtime/sim/link_model.h"

namespace agora::sim {
namespace {

using namespace std::chrono_literals;

TEST(LinkModel, LatencyIsSymmetricAndWithinBounds) {
  LinkConfig c{LatencyModel::plane, 10ms, 150ms, 5ms, 0.0};
  LinkModel m(c, 200, Prng(1));
  Prng rng(2);
  for (uint32_t a = 0; a < 200; a += 7) {
    for (uint32_t b = 0; b < 200; b += 11) {
      Duration base = m.base_latency(a, b);
      EXPECT_EQ(base, m.base_latency(b, a));
      EXPECT_GE(base, 10ms);
      EXPECT_LE(base, 150ms);
      Duration d = m.delay(a, b, rng);
      EXPECT_GE(d, base);
      EXPECT_LE(d, base + 5ms);
    }
    EXPECT_EQ(m.base_latency(a, a), 10ms);
  }
}

TEST(LinkModel, PairwiseLatencyIsSymmetricUniformAndSeeded) {
  LinkConfig c{LatencyModel::pairwise, 10ms, 150ms, 0ms, 0.0};
  LinkModel m(c, 1000, Prng(1));
  LinkModel same(c, 1000, Prng(1));
  LinkModel other(c, 1000, Prng(2));
  double sum_ms = 0;
  int n = 0, differs = 0;
  for (uint32_t a = 0; a < 1000; a += 3) {
    for (uint32_t b = a + 1; b < 1000; b += 7) {
      Duration d = m.base_latency(a, b);
      EXPECT_EQ(d, m.base_latency(b, a));
      EXPECT_EQ(d, same.base_latency(a, b));
      differs += d != other.base_latency(a, b) ? 1 : 0;
      EXPECT_GE(d, 10ms);
      EXPECT_LE(d, 150ms);
      sum_ms += double(d.count()) / 1e6;
      ++n;
    }
  }
  EXPECT_NEAR(sum_ms / n, 80.0, 1.0);
  EXPECT_GT(differs, n * 9 / 10);
}

TEST(LinkModel, PositionsSpreadLatencies) {
  LinkModel m(LinkConfig{LatencyModel::plane, 10ms, 150ms, 0ms, 0.0}, 500, Prng(3));
  std::set<int64_t> distinct;
  Duration lo = 1h, hi = 0ms;
  for (uint32_t b = 1; b < 500; ++b) {
    Duration d = m.base_latency(0, b);
    distinct.insert(d.count());
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GT(distinct.size(), 400u);
  EXPECT_GT(hi - lo, 50ms);
}

TEST(LinkModel, LossRate) {
  LinkModel none(LinkConfig{LatencyModel::plane, 1ms, 1ms, 0ms, 0.0}, 2, Prng(1));
  LinkModel some(LinkConfig{LatencyModel::plane, 1ms, 1ms, 0ms, 0.1}, 2, Prng(1));
  Prng rng(4);
  int lost = 0;
  for (int i = 0; i < 100000; ++i) {
    EXPECT_FALSE(none.lost(rng));
    lost += some.lost(rng) ? 1 : 0;
  }
  EXPECT_NEAR(lost, 10000, 400);
}

TEST(ChurnModel, SessionAndOfflineMediansMatchConfig) {
  ChurnConfig c;
  c.enabled = true;
  c.session_median = 30min;
  c.session_shape = 0.5;
  c.offline_median = 10min;
  c.offline_shape = 1.5;
  ChurnModel m(c);
  Prng rng(8);
  std::vector<int64_t> on, off;
  for (int i = 0; i < 50001; ++i) {
    on.push_back(m.session_length(rng).count());
    off.push_back(m.offline_length(rng).count());
  }
  std::sort(on.begin(), on.end());
  std::sort(off.begin(), off.end());
  EXPECT_NEAR(double(on[25000]), double(Duration(30min).count()),
              0.04 * double(Duration(30min).count()));
  EXPECT_NEAR(double(off[25000]), double(Duration(10min).count()),
              0.04 * double(Duration(10min).count()));
  EXPECT_GE(Duration(on.front()), c.length_min);
  // Shape 0.5: mean = 2 * scale; scale = 30 min / ln(2)^2; shape 1.5: Gamma(5/3) = 0.9027.
  const double on_mean = 2 * 30.0 / std::pow(std::log(2.0), 2.0);
  const double off_mean = 10.0 / std::pow(std::log(2.0), 1 / 1.5) * std::tgamma(1 + 1 / 1.5);
  EXPECT_NEAR(m.online_fraction(), on_mean / (on_mean + off_mean), 1e-9);
}

TEST(ChurnModel, LengthsNeverBelowMinimum) {
  ChurnConfig c;
  c.session_median = 2s;
  c.session_shape = 0.2;  // many tiny draws
  c.length_min = 1s;
  ChurnModel m(c);
  Prng rng(1);
  for (int i = 0; i < 10000; ++i) EXPECT_GE(m.session_length(rng), 1s);
}

TEST(Identity, PeerIdsAreDistinctDeterministicEd25519Identities) {
  Prng a(5), b(5);
  std::set<PeerId> ids;
  for (int i = 0; i < 1000; ++i) {
    PeerId id = make_peer_id(a);
    EXPECT_EQ(id, make_peer_id(b));
    auto key = id.public_key();
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->type, KeyType::ed25519);
    EXPECT_EQ(key->data.size(), 32u);
    EXPECT_TRUE(id.to_base58().starts_with("12D3KooW"));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(Identity, NodeAddressesAreValidUniqueMultiaddrs) {
  auto a = Multiaddr::from_bytes(make_node_addr(0x010203));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->to_string(), "/ip4/10.1.2.3/tcp/4001");
  EXPECT_NE(make_node_addr(1), make_node_addr(2));
}

}  // namespace
}  // namespace agora::sim
