#include "host/ip_group.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

std::optional<IpSource> source(const char* text) {
  return ip_source(Multiaddr::parse(text).value());
}

TEST(IpSource, Ipv4GroupsByTheSlash24) {
  auto a = source("/ip4/203.0.113.7/tcp/4001");
  auto b = source("/ip4/203.0.113.200/tcp/9");
  auto c =
      source("/ip4/203.0.114.7/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->ip, "ip4/203.0.113.7");
  EXPECT_EQ(a->group, "ip4/203.0.113.0/24");
  EXPECT_NE(a->ip, b->ip);
  EXPECT_EQ(a->group, b->group);
  EXPECT_NE(a->group, c->group);
}

TEST(IpSource, Ipv6GroupsByTheSlash64) {
  auto a = source("/ip6/2001:db8:1:2::1/tcp/4001");
  auto b = source("/ip6/2001:db8:1:2:ffff::9/tcp/4001");
  auto c = source("/ip6/2001:db8:1:3::1/tcp/4001");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->group, "ip6/2001:db8:1:2::/64");
  EXPECT_NE(a->ip, b->ip);
  EXPECT_EQ(a->group, b->group);
  EXPECT_NE(a->group, c->group);
}

TEST(IpSource, MappedIpv4CountsAsIpv4AndOthersHaveNone) {
  auto mapped = source("/ip6/::ffff:203.0.113.7/tcp/1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->ip, "ip4/203.0.113.7");
  EXPECT_FALSE(source("/dns4/example.com/tcp/1"));
  EXPECT_FALSE(ip_source(Multiaddr{}));
}

Bytes group(const char* text) { return ip_group(Multiaddr::parse(text).value()); }

TEST(IpGroup, BinaryGroupIsTheSlash24OrSlash64) {
  EXPECT_EQ(group("/ip4/10.1.2.3/tcp/1"), (Bytes{4, 10, 1, 2}));
  EXPECT_EQ(group("/ip4/10.1.2.3/tcp/1"), group("/ip4/10.1.2.200/tcp/9"));
  EXPECT_NE(group("/ip4/10.1.2.3/tcp/1"), group("/ip4/10.1.3.3/tcp/1"));
  EXPECT_EQ(group("/ip6/::ffff:10.1.2.3/tcp/1"), (Bytes{4, 10, 1, 2}));
  EXPECT_EQ(group("/ip6/2001:db8:1:2:aaaa::1/tcp/1"), group("/ip6/2001:db8:1:2:bbbb::7/tcp/1"));
  EXPECT_NE(group("/ip6/2001:db8:1:2::1/tcp/1"), group("/ip6/2001:db8:1:3::1/tcp/1"));
  EXPECT_EQ(group("/ip6/2001:db8:1:2::1/tcp/1").size(), 9u);
  EXPECT_TRUE(group("/dns4/localhost/tcp/1").empty());
}

}  // namespace
}  // namespace agora::host
