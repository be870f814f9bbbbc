// The [dht] table of config.toml.
#include <gtest/gtest.h>

#include "store/config.h"

namespace agora::store {
namespace {

TEST(ConfigDht, DefaultsAndEveryValue) {
  auto d = parse_config("", "config.toml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->dht.mode, "auto");
  EXPECT_EQ(d->dht.provide, "roots");
  EXPECT_TRUE(d->dht.provide_fetched);
  auto off = parse_config("[dht]\nprovide_fetched = false\n", "config.toml");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_FALSE(off->dht.provide_fetched);
  EXPECT_FALSE(parse_config("[dht]\nprovide_fetched = \"no\"\n", "config.toml").ok());
  for (const char* mode : {"auto", "server", "client"}) {
    for (const char* provide : {"roots", "all"}) {
      std::string text =
          std::string("[dht]\nmode = \"") + mode + "\"\nprovide = \"" + provide + "\"\n";
      auto c = parse_config(text, "config.toml");
      ASSERT_TRUE(c.ok()) << c.error().message;
      EXPECT_EQ(c->dht.mode, mode);
      EXPECT_EQ(c->dht.provide, provide);
    }
  }
}

TEST(ConfigDht, BadValuesNameTheKeyAndLine) {
  auto bad_mode = parse_config("[dht]\nmode = \"serv\"\n", "config.toml");
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.error().message.find("config.toml:2:"), std::string::npos);
  EXPECT_NE(bad_mode.error().message.find("dht.mode"), std::string::npos);
  auto bad_provide = parse_config("[dht]\nprovide = \"every\"\n", "config.toml");
  ASSERT_FALSE(bad_provide.ok());
  EXPECT_NE(bad_provide.error().message.find("dht.provide"), std::string::npos);
  auto typo = parse_config("[dht]\nmodes = \"auto\"\n", "config.toml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("did you mean 'mode'"), std::string::npos);
  EXPECT_FALSE(parse_config("[dht]\nmode = 1\n", "config.toml").ok());
}

TEST(ConfigDht, ProviderStoreLimits) {
  auto c = parse_config(
      "[dht]\nprovider_records_max = 1000\nprovider_records_per_peer_max = 10\n"
      "provider_records_per_ip_group_max = 20\nadd_provider_rate_per_s = 5\n"
      "add_provider_burst = 50\nprovider_overflows_before_ban = 0\nprovider_ban_s = 60\n",
      "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->dht.provider_records_max, 1000u);
  EXPECT_EQ(c->dht.provider_records_per_peer_max, 10u);
  EXPECT_EQ(c->dht.provider_records_per_ip_group_max, 20u);
  EXPECT_EQ(c->dht.add_provider_rate_per_s, 5u);
  EXPECT_EQ(c->dht.add_provider_burst, 50u);
  EXPECT_EQ(c->dht.provider_overflows_before_ban, 0u);  // never ban
  EXPECT_EQ(c->dht.provider_ban_s, 60u);
  auto zero = parse_config("[dht]\nprovider_records_per_peer_max = 0\n", "config.toml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("dht.provider_records_per_peer_max"), std::string::npos);
}

TEST(ConfigDht, DefaultFileRoundTrips) {
  Config c;
  c.dht.mode = "client";
  c.dht.provide = "all";
  c.dht.provide_fetched = false;
  c.dht.provider_records_per_ip_group_max = 123;
  std::string text = render_default_config(c);
  EXPECT_NE(text.find("[dht]"), std::string::npos);
  auto back = parse_config(text, "config.toml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace agora::store
