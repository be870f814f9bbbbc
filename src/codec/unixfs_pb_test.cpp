#include "codec/unixfs_pb.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

Bytes hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b.ok()) << h;
  return b.ok() ? *b : Bytes{};
}

// Expected bytes printed by ipfs-unixfs 13.1.1 `new UnixFS({...}).marshal()` under Node 22.
TEST(UnixfsPb, EncodesLikeJsMarshal) {
  UnixfsData file{.type = UnixfsType::file,
                  .blocksizes = {6, 4},
                  .mode = 0600,
                  .mtime = UnixTime{-5, std::nullopt}};
  EXPECT_EQ(to_hex(encode_unixfs_data(file)), "0802180a20062004388003420b08fbffffffffffffffff01");

  UnixfsData raw{.type = UnixfsType::raw, .data = {1, 2, 3}};
  EXPECT_EQ(to_hex(encode_unixfs_data(raw)), "080012030102031803");

  UnixfsData hamt{.type = UnixfsType::hamt_shard,
                  .data = {0x80, 0, 1},
                  .hash_type = 0x22,
                  .fanout = 256,
                  .mode = 01777,
                  .mtime = UnixTime{int64_t(1) << 40, 999999999}};
  EXPECT_EQ(to_hex(encode_unixfs_data(hamt)),
            "08051203800001282230800238ff07420c0880808080802015ffc99a3b");

  // Default modes are omitted; directories never carry filesize.
  EXPECT_EQ(to_hex(encode_unixfs_data({.type = UnixfsType::directory, .mode = 0755})), "0801");
  EXPECT_EQ(to_hex(encode_unixfs_data({.type = UnixfsType::file, .mode = 0755})), "0802180038ed03");
  EXPECT_EQ(to_hex(encode_unixfs_data({.type = UnixfsType::symlink, .data = {0x61}, .mode = 0644})),
            "0804120161");
}

// Data fields of blocks the js importer wrote (see dag_pb and unixfs tests for the CIDs).
TEST(UnixfsPb, EncodesImporterNodes) {
  UnixfsData leaf{.type = UnixfsType::file,
                  .data = to_bytes("hello agora\n"),
                  .mtime = UnixTime{1700000000, 5}};
  EXPECT_EQ(to_hex(encode_unixfs_data(leaf)),
            "0802120c68656c6c6f2061676f72610a180c420b0880e2cfaa061505000000");
  EXPECT_EQ(to_hex(encode_unixfs_data({.type = UnixfsType::file, .mode = 0600})), "08021800388003");
  EXPECT_EQ(to_hex(encode_unixfs_data(
                {.type = UnixfsType::directory, .mode = 0700, .mtime = UnixTime{3, 0}})),
            "080138c003420708031500000000");
  EXPECT_EQ(to_hex(encode_unixfs_data({.type = UnixfsType::file})), "08021800");
  EXPECT_EQ(
      to_hex(encode_unixfs_data({.type = UnixfsType::symlink, .data = to_bytes("../target")})),
      "080412092e2e2f746172676574");
}

TEST(UnixfsPb, DecodesWhatItEncodes) {
  const char* blocks[] = {
      "0802180a20062004388003420b08fbffffffffffffffff01",
      "08051203800001282230800238ff07420c0880808080802015ffc99a3b",
      "0802120c68656c6c6f2061676f72610a180c420b0880e2cfaa061505000000",
      "080138c003420708031500000000",
      "080412092e2e2f746172676574",
  };
  for (const char* b : blocks) {
    auto d = decode_unixfs_data(hex(b));
    ASSERT_TRUE(d.ok()) << b << ": " << d.error().to_string();
    EXPECT_EQ(to_hex(encode_unixfs_data(*d)), b);
  }
  auto file = decode_unixfs_data(hex(blocks[0]));
  EXPECT_EQ(file->filesize, 10u);
  EXPECT_EQ(file->blocksizes, (std::vector<uint64_t>{6, 4}));
  EXPECT_EQ(file->mode, 0600u);
  EXPECT_EQ(file->mtime->seconds, -5);
  EXPECT_FALSE(file->mtime->nanos.has_value());
  auto hamt = decode_unixfs_data(hex(blocks[1]));
  EXPECT_EQ(hamt->type, UnixfsType::hamt_shard);
  EXPECT_EQ(hamt->fanout, 256u);
  EXPECT_EQ(hamt->hash_type, kUnixfsHamtHashMurmur3);
  EXPECT_EQ(hamt->mtime->nanos, 999999999u);
  EXPECT_FALSE(hamt->filesize.has_value());
}

TEST(UnixfsPb, AcceptsPackedBlocksizesAndSkipsUnknownFields) {
  // blocksizes packed as proto3 would write them: field 4, length 3, varints 10 5 1.
  auto d =
      decode_unixfs_data(hex("080222030a0501"
                             "5801"));
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->blocksizes, (std::vector<uint64_t>{10, 5, 1}));
  EXPECT_EQ(unixfs_file_bytes(*d), 16u);
}

TEST(UnixfsPb, RejectsBadInput) {
  struct Case {
    const char* hex;
    const char* why;
  } cases[] = {
      {"", "no type"},
      {"1200", "no type, only data"},
      {"0806", "unknown type 6"},
      {"0a00", "type as bytes"},
      {"08021a00", "filesize as bytes"},
      {"080242051500ca9a3b", "nanos of 1e9"},
      {"0802420208", "truncated mtime seconds"},
      {"08023880808080", "mode varint truncated"},
      {"0802388080808010", "mode over 32 bits"},
      {"0802220180", "packed varint truncated"},
      {"08021203aa", "data past end"},
  };
  for (const Case& c : cases) {
    auto b = from_hex(c.hex);
    ASSERT_TRUE(b.ok()) << c.why;
    EXPECT_FALSE(decode_unixfs_data(*b).ok()) << c.why;
  }
  EXPECT_EQ(decode_unixfs_data(hex("0806")).error().code, Errc::unsupported);
}

TEST(UnixfsPb, BoundsBlocksizes) {
  Bytes msg = hex("0802");
  for (int i = 0; i < 5; ++i) append(msg, hex("2001"));
  UnixfsLimits limits;
  limits.blocksizes_max = 4;
  auto r = decode_unixfs_data(msg, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
  limits.blocksizes_max = 5;
  EXPECT_TRUE(decode_unixfs_data(msg, limits).ok());
}

TEST(UnixfsPb, FileBytesDetectsOverflow) {
  UnixfsData d{.type = UnixfsType::file, .data = {1}, .blocksizes = {~uint64_t(0)}};
  EXPECT_FALSE(unixfs_file_bytes(d).has_value());
  EXPECT_EQ(unixfs_file_bytes({.type = UnixfsType::directory, .blocksizes = {5}}), 0u);
}

}  // namespace
}  // namespace agora
