#include "store/hashed_stamps.h"

#include <gtest/gtest.h>

#include "store/test_blocks.h"

namespace agora::store {
namespace {

using namespace std::chrono_literals;
using Clock = HashedStamps::Clock;

Multihash mh(uint64_t seed) { return multihash_sha2_256(test_block(64, seed)); }

// A stamp whose file last changed `age` before `now`.
FileStamp stamp_aged(Clock::time_point now, std::chrono::nanoseconds age, uint64_t inode = 7) {
  int64_t changed =
      std::chrono::duration_cast<std::chrono::nanoseconds>((now - age).time_since_epoch()).count();
  return FileStamp{1, inode, 262144, changed, changed, 0};
}

TEST(HashedStamps, OnlyTheSameStampOfTheSameBlockIsFresh) {
  HashedStamps stamps;
  auto now = Clock::now();
  FileStamp s = stamp_aged(now, 10s);
  stamps.remember_hashed(mh(1), s, now);
  EXPECT_TRUE(stamps.fresh(mh(1), s, now + 1s));
  EXPECT_FALSE(stamps.fresh(mh(2), s, now + 1s));  // another block
  FileStamp changed = s;
  changed.ctime_ns += 1;  // any write, chmod, rename-over
  EXPECT_FALSE(stamps.fresh(mh(1), changed, now + 1s));
  FileStamp moved = s;
  moved.offset += 262144;  // the reference now points elsewhere in the file
  EXPECT_FALSE(stamps.fresh(mh(1), moved, now + 1s));
  FileStamp replaced = s;
  replaced.inode += 1;  // another file under the same name
  EXPECT_FALSE(stamps.fresh(mh(1), replaced, now + 1s));
  stamps.forget(mh(1));
  EXPECT_FALSE(stamps.fresh(mh(1), s, now + 1s));
}

// A file changed within the racy window may change again in the same timestamp tick without its
// stamp showing it: hashed from such a file, a block is not remembered. Written by the store
// itself into blocks/, it is.
TEST(HashedStamps, RacyStampsAreNotRememberedUnlessTheStoreWroteTheFile) {
  HashedStamps stamps;
  auto now = Clock::now();
  FileStamp fresh_file = stamp_aged(now, 100ms);
  stamps.remember_hashed(mh(1), fresh_file, now);
  EXPECT_FALSE(stamps.fresh(mh(1), fresh_file, now));
  stamps.remember_written(mh(1), fresh_file, now);
  EXPECT_TRUE(stamps.fresh(mh(1), fresh_file, now));
}

TEST(HashedStamps, EntriesExpireAfterTheTtl) {
  HashedStampsConfig config;
  config.ttl = 60s;
  HashedStamps stamps(config);
  auto now = Clock::now();
  FileStamp s = stamp_aged(now, 10s);
  stamps.remember_hashed(mh(1), s, now);
  EXPECT_TRUE(stamps.fresh(mh(1), s, now + 60s));
  EXPECT_FALSE(stamps.fresh(mh(1), s, now + 61s));  // hashed again, as if never seen
}

TEST(HashedStamps, ATtlOfZeroRemembersNothing) {
  HashedStampsConfig config;
  config.ttl = 0s;
  HashedStamps stamps(config);
  auto now = Clock::now();
  stamps.remember_written(mh(1), stamp_aged(now, 10s), now);
  EXPECT_EQ(stamps.size(), 0u);
  EXPECT_FALSE(stamps.fresh(mh(1), stamp_aged(now, 10s), now));
}

TEST(HashedStamps, TheOldestGoFirstAndTheBoundHolds) {
  HashedStampsConfig config;
  config.entries_max = 100;
  HashedStamps stamps(config);
  auto now = Clock::now();
  for (uint64_t i = 0; i < 1000; ++i) {
    stamps.remember_written(mh(i), stamp_aged(now, 10s, i), now + std::chrono::microseconds(i));
    stamps.remember_written(mh(0), stamp_aged(now, 10s, 0), now + std::chrono::microseconds(i));
    ASSERT_LE(stamps.size(), 100u);
  }
  EXPECT_TRUE(stamps.fresh(mh(999), stamp_aged(now, 10s, 999), now + 1s));
  EXPECT_TRUE(stamps.fresh(mh(0), stamp_aged(now, 10s, 0), now + 1s));  // remembered again
  EXPECT_FALSE(stamps.fresh(mh(500), stamp_aged(now, 10s, 500), now + 1s));
}

// verify(): a match is remembered, a mismatch forgotten, and a fresh stamp spares the hash (the
// data is then taken as it is: what the stamp vouches for).
TEST(HashedStamps, VerifyHashesOnceAndForgetsAMismatch) {
  HashedStamps stamps;
  auto now = Clock::now();
  Bytes block = test_block(64, 1);
  Bytes other = test_block(64, 2);
  FileStamp s = stamp_aged(now, 10s);
  EXPECT_FALSE(stamps.verify(mh(1), s, other, false, now));
  EXPECT_EQ(stamps.size(), 0u);
  EXPECT_TRUE(stamps.verify(mh(1), s, block, false, now));
  EXPECT_TRUE(stamps.fresh(mh(1), s, now));
  EXPECT_TRUE(stamps.verify(mh(1), s, other, false, now));  // not hashed: the stamp is fresh
  FileStamp changed = s;
  changed.mtime_ns += 1;
  EXPECT_FALSE(stamps.verify(mh(1), changed, other, false, now));
  EXPECT_EQ(stamps.size(), 0u);
}

TEST(HashedStamps, OnlySha256DigestsAreRemembered) {
  HashedStamps stamps;
  auto now = Clock::now();
  Multihash identity{0x00, Bytes{1, 2, 3}};
  stamps.remember_written(identity, stamp_aged(now, 10s), now);
  EXPECT_EQ(stamps.size(), 0u);
}

}  // namespace
}  // namespace agora::store
