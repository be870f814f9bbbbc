#include "store/block_key.h"

#include <gtest/gtest.h>

#include "codec/cid.h"

namespace agora::store {
namespace {

// The empty UnixFS directory, present in every kubo repo as
// blocks/X3/CIQFTFEEHEDF6KLBT32BFAGLXEZL4UWFNWM4LFTLMXQBCERZ6CMLX3Y.data
constexpr const char* kEmptyDirCid = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
constexpr const char* kEmptyDirKey = "CIQFTFEEHEDF6KLBT32BFAGLXEZL4UWFNWM4LFTLMXQBCERZ6CMLX3Y";

TEST(BlockKey, MatchesKuboFlatfs) {
  auto cid = Cid::parse(kEmptyDirCid);
  ASSERT_TRUE(cid.ok());
  EXPECT_EQ(block_key(cid->hash()), kEmptyDirKey);
  EXPECT_EQ(block_shard(kEmptyDirKey), "X3");
  EXPECT_EQ(block_relative_path(cid->hash()),
            std::filesystem::path("X3") / (std::string(kEmptyDirKey) + ".data"));
  // CIDv1 of the same bytes, raw or dag-pb, lands on the same file.
  EXPECT_EQ(block_relative_path(cid->to_v1().hash()), block_relative_path(cid->hash()));
  EXPECT_EQ(block_relative_path(Cid::v1(kCodecRaw, cid->hash()).hash()),
            block_relative_path(cid->hash()));
}

TEST(BlockKey, ParsesOnlyCanonicalNames) {
  auto parsed = parse_block_file_name(std::string(kEmptyDirKey) + ".data");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(block_key(*parsed), kEmptyDirKey);

  std::string lower = kEmptyDirKey;
  for (char& c : lower) c = char(std::tolower(c));
  for (std::string bad : {std::string(kEmptyDirKey), lower + ".data", std::string(".data"),
                          std::string("CIQ.data"), std::string(kEmptyDirKey) + "A.data",
                          std::string(kEmptyDirKey) + ".data.tmp", std::string("AAAA.data")}) {
    auto r = parse_block_file_name(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::invalid_input) << bad;
    }
  }
}

TEST(BlockKey, ShardIndex) {
  EXPECT_EQ(shard_index("AA"), 0);
  EXPECT_EQ(shard_index("77"), 1023);
  EXPECT_EQ(shard_index("X3"), 23 * 32 + 27);
  EXPECT_EQ(shard_index(".t"), -1);
  EXPECT_EQ(shard_index("x3"), -1);
  EXPECT_EQ(shard_index("ABC"), -1);
  for (size_t i = 0; i < kShardCount; ++i) EXPECT_EQ(shard_index(shard_name(i)), int(i));
}

}  // namespace
}  // namespace agora::store
