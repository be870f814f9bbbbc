#include "unixfs/file_importer.h"

#include <gtest/gtest.h>

#include "codec/dag_pb.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

using testing::det_bytes;
using testing::import_bytes;
using testing::pattern_bytes;
using testing::random_bytes;

std::string cid_of(BytesView data, const Profile& profile, FileMeta meta = {}) {
  MemoryBlocks blocks;
  auto r = import_bytes(data, profile, blocks, meta);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r->cid.to_string() : "";
}

// The explicit legacy options the notes used through Helia give the v0-2015 profile.
const Profile kV1 = profile_unixfs_v1_2025();
const Profile kV0 = profile_unixfs_v0_2015();

TEST(FileImporter, NotesVectors) {
  EXPECT_EQ(cid_of(as_bytes("hello agora\n"), kV1),
            "bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygykq");
  EXPECT_EQ(cid_of(as_bytes("hello agora\n"), kV0),
            "QmTmYgUwExnoTVhfk8s174e7vybY5kwj77oigwRaGz6C2i");
  EXPECT_EQ(cid_of(as_bytes("hello world"), kV1),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_EQ(cid_of(as_bytes("hello world"), kV0), "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
  EXPECT_EQ(cid_of({}, kV1), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  // Empty file, dag-pb leaves: Data{Type=File, filesize=0} (ipfs-unixfs-importer 17).
  EXPECT_EQ(cid_of({}, kV0), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  // 4 raw leaves + a 205-byte root.
  EXPECT_EQ(cid_of(pattern_bytes(3 * 1024 * 1024 + 5), kV1),
            "bafybeidjdzyb7cjtwabgkg3psrr6d53vcxhxfxrt44ind74gq6coscbj74");
}

TEST(FileImporter, DeterministicChunkBoundaryVectors) {
  EXPECT_EQ(cid_of(det_bytes(1048576, "chunk-v1-seed"), kV1),
            "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta");
  EXPECT_EQ(cid_of(det_bytes(1048577, "chunk-v1-seed"), kV1),
            "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64");
  EXPECT_EQ(cid_of(det_bytes(262144, "chunk-v0-seed"), kV0),
            "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE");
  EXPECT_EQ(cid_of(det_bytes(262145, "chunk-v0-seed"), kV0),
            "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ");
}

TEST(FileImporter, LeafBlockBytesMatchTheNotes) {
  MemoryBlocks blocks;
  auto r = import_bytes(as_bytes("hello agora\n"), kV0, blocks);
  ASSERT_TRUE(r.ok());
  auto block = blocks.get(r->cid);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(to_hex(*block), "0a120802120c68656c6c6f2061676f72610a180c");
  EXPECT_EQ(r->tsize, 20u);
  EXPECT_EQ(r->size, 12u);
}

TEST(FileImporter, CidDoesNotDependOnWriteSizes) {
  Profile small = kV1;
  small.chunk_bytes = 1000;
  small.links_per_node_max = 4;
  Bytes data = random_bytes(23456, 1);
  MemoryBlocks a;
  std::string expect = import_bytes(data, small, a, {}, data.size())->cid.to_string();
  for (size_t step : {1u, 7u, 999u, 1000u, 1001u, 4096u}) {
    MemoryBlocks b;
    auto r = import_bytes(data, small, b, {}, step);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cid.to_string(), expect) << "writes of " << step;
  }
}

TEST(FileImporter, TsizeCountsEveryBlockAndSizeTheFileBytes) {
  for (const Profile& base : {kV1, kV0}) {
    Profile p = base;
    p.chunk_bytes = 512;
    p.links_per_node_max = 3;
    Bytes data = random_bytes(512 * 20 + 7, 2);  // 21 distinct leaves, three levels
    MemoryBlocks blocks;
    auto r = import_bytes(data, p, blocks);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size, data.size());
    EXPECT_EQ(r->tsize, blocks.total_bytes());
    EXPECT_EQ(blocks.size(), blocks.puts());  // no block written twice
  }
}

TEST(FileImporter, BalancedTreeShape) {
  // 4-byte chunks, 3 links: 13 bytes = 4 leaves -> 2 parents (3 + 1 leaves) -> root.
  Profile p = kV1;
  p.chunk_bytes = 4;
  p.links_per_node_max = 3;
  MemoryBlocks blocks;
  auto r = import_bytes(pattern_bytes(13), p, blocks);
  ASSERT_TRUE(r.ok());
  auto root = decode_dag_pb(*blocks.get(r->cid));
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->links.size(), 2u);
  auto data = decode_unixfs_data(*root->data);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->blocksizes, (std::vector<uint64_t>{12, 1}));
  EXPECT_EQ(data->filesize, 13u);
  EXPECT_EQ(root->links[0].name, "");  // empty names are written
  auto second = decode_dag_pb(*blocks.get(root->links[1].hash));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->links.size(), 1u);  // a one-child parent, as js batches
  EXPECT_EQ(blocks.size(), 4u + 3u);
}

TEST(FileImporter, EmitsLeavesBeforeFinish) {
  Profile p = kV1;
  p.chunk_bytes = 1024;
  MemoryBlocks blocks;
  FileImporter f(p, blocks);
  Bytes data = random_bytes(1024 * 5 + 10, 3);
  ASSERT_TRUE(f.write(data).ok());
  // The first chunk waits (it might be the only one); later full chunks are written at once.
  EXPECT_EQ(blocks.size(), 5u);
  EXPECT_EQ(f.bytes_written(), data.size());
  ASSERT_TRUE(f.finish().ok());
  EXPECT_EQ(blocks.size(), 7u);
}

TEST(FileImporter, MetadataWrapsASingleChunk) {
  MemoryBlocks blocks;
  FileMeta meta{.mode = 0644};  // the default mode: omitted from the bytes, but still wraps
  auto r = import_bytes(as_bytes("hello agora\n"), kV1, blocks, meta);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cid.codec(), kCodecDagPb);
  EXPECT_EQ(to_hex(*blocks.get(r->cid)), "0a120802120c68656c6c6f2061676f72610a180c");
  EXPECT_EQ(blocks.size(), 1u);  // the raw leaf it replaced was never written
  // Also for dag-pb leaves (where js 17 wraps the encoded leaf instead: a js bug we do not copy).
  MemoryBlocks v0;
  auto legacy = import_bytes(as_bytes("hi"), kV0, v0, FileMeta{.mtime = UnixTime{5, {}}});
  ASSERT_TRUE(legacy.ok());
  auto node = decode_dag_pb(*v0.get(legacy->cid));
  auto data = decode_unixfs_data(*node->data);
  EXPECT_EQ(data->data, to_bytes("hi"));
  EXPECT_EQ(data->mtime, (UnixTime{5, {}}));
}

TEST(FileImporter, ErrorsAreSticky) {
  Profile bad = kV1;
  bad.links_per_node_max = 1;
  MemoryBlocks blocks;
  FileImporter f(bad, blocks);
  EXPECT_EQ(f.write(as_bytes("x")).error().code, Errc::invalid_input);
  EXPECT_FALSE(f.finish().ok());

  FileImporter g(kV1, blocks);
  ASSERT_TRUE(g.finish().ok());
  EXPECT_FALSE(g.finish().ok());
  EXPECT_FALSE(g.write(as_bytes("late")).ok());
}

class FailingSink : public BlockSink {
 public:
  Status put(const Cid&, Bytes) override { return make_error(Errc::io, "disk full"); }
};

TEST(FileImporter, SinkErrorsPropagate) {
  FailingSink sink;
  Profile p = kV1;
  p.chunk_bytes = 4;
  FileImporter f(p, sink);
  EXPECT_FALSE(f.write(pattern_bytes(12)).ok());  // the second chunk's leaf fails
  auto r = f.finish();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "disk full");
}

}  // namespace
}  // namespace agora::unixfs
