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

TEST(ConfigDht, DefaultFileRoundTrips) {
  Config c;
  c.dht.mode = "client";
  c.dht.provide = "all";
  std::string text = render_default_config(c);
  EXPECT_NE(text.find("[dht]"), std::string::npos);
  auto back = parse_config(text, "config.toml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace agora::store
