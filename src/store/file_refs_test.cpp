#include "store/file_refs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "store/blockstore.h"
#include "store/gc.h"
#include "store/repo_stat.h"
#include "store/repo_verify.h"
#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

void write_bytes(const fs::path& path, BytesView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<FileRefs> open_refs(const fs::path& db, FileRefsConfig config = {}) {
  auto r = FileRefs::open(db, config);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : nullptr;
}

Multihash mh(uint64_t seed) { return multihash_sha2_256(test_block(64, seed)); }

TEST(FileRefs, AddFindRemoveAndReopen) {
  TestDir dir;
  fs::path db = dir.path() / "agora.db";
  {
    auto refs = open_refs(db);
    ASSERT_TRUE(refs);
    std::vector<std::pair<Multihash, FileRef>> batch;
    for (uint64_t i = 0; i < 3000; ++i)  // several for_each pages
      batch.emplace_back(mh(i), FileRef{"/data/a.bin", i * 1024, 1024});
    ASSERT_TRUE(refs->add(batch).ok());
    auto found = refs->find(mh(7));
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ(**found, (FileRef{"/data/a.bin", 7 * 1024, 1024}));
    EXPECT_FALSE(refs->find(mh(99999))->has_value());
    EXPECT_EQ(*refs->count(), 3000u);
    EXPECT_EQ(refs->totals()->bytes, 3000u * 1024);
    ASSERT_TRUE(refs->remove(mh(7)).ok());
    EXPECT_FALSE(refs->find(mh(7))->has_value());
  }
  auto refs = open_refs(db);  // persisted
  ASSERT_TRUE(refs);
  EXPECT_EQ(*refs->count(), 2999u);
  uint64_t seen = 0;
  ASSERT_TRUE(refs->for_each([&](const FileRefEntry& e) -> Status {
                    EXPECT_TRUE(e.problem.empty());
                    EXPECT_EQ(e.ref.path, fs::path("/data/a.bin"));
                    ++seen;
                    return refs->remove(e.hash);  // the visitor may change the table
                  })
                  .ok());
  EXPECT_EQ(seen, 2999u);
  EXPECT_EQ(*refs->count(), 0u);
}

TEST(FileRefs, PathsAreStoredAbsoluteAndNormal) {
  TestDir dir;
  auto refs = open_refs(dir.path() / "agora.db");
  ASSERT_TRUE(refs);
  std::vector<std::pair<Multihash, FileRef>> batch{{mh(1), FileRef{"/x/./y/../f", 0, 10}},
                                                   {mh(2), FileRef{"rel/f", 0, 10}}};
  ASSERT_TRUE(refs->add(batch).ok());
  EXPECT_EQ((*refs->find(mh(1)))->path, fs::path("/x/f"));
  EXPECT_EQ((*refs->find(mh(2)))->path, (fs::current_path() / "rel/f").lexically_normal());
}

TEST(FileRefs, RefusesOutOfBoundsAndRecordsNothing) {
  TestDir dir;
  auto refs = open_refs(dir.path() / "agora.db", {.length_max = 1000});
  ASSERT_TRUE(refs);
  std::vector<std::pair<Multihash, FileRef>> batch{{mh(1), FileRef{"/f", 0, 10}},
                                                   {mh(2), FileRef{"/f", 10, 1001}}};
  auto st = refs->add(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
  EXPECT_EQ(*refs->count(), 0u);  // all or nothing
  std::vector<std::pair<Multihash, FileRef>> empty_len{{mh(3), FileRef{"/f", 0, 0}}};
  EXPECT_FALSE(refs->add(empty_len).ok());
  std::vector<std::pair<Multihash, FileRef>> long_path{
      {mh(4), FileRef{"/" + std::string(kFileRefPathBytesMax, 'a'), 0, 1}}};
  EXPECT_FALSE(refs->add(long_path).ok());
}

TEST(FileRefs, RenameAndRemoveFileOrTree) {
  TestDir dir;
  auto refs = open_refs(dir.path() / "agora.db");
  ASSERT_TRUE(refs);
  std::vector<std::pair<Multihash, FileRef>> batch{
      {mh(1), FileRef{"/d/.tmp-x", 0, 5}},     {mh(2), FileRef{"/d/.tmp-x", 5, 5}},
      {mh(3), FileRef{"/d/.tmp-x2", 0, 5}},    {mh(4), FileRef{"/t/tree/a", 0, 5}},
      {mh(5), FileRef{"/t/tree/sub/b", 0, 5}}, {mh(6), FileRef{"/t/tree0", 0, 5}},
      {mh(7), FileRef{"/t/tré\xff/c", 0, 5}},  // any path bytes
  };
  ASSERT_TRUE(refs->add(batch).ok());
  EXPECT_EQ(*refs->rename_file("/d/.tmp-x", "/d/final"), 2u);
  EXPECT_EQ((*refs->find(mh(1)))->path, fs::path("/d/final"));
  EXPECT_EQ((*refs->find(mh(2)))->offset, 5u);
  EXPECT_EQ((*refs->find(mh(3)))->path, fs::path("/d/.tmp-x2"));  // a prefix is not the file
  // A directory: every file under it, not a sibling that shares the prefix.
  EXPECT_EQ(*refs->rename_file("/t/tree", "/t/done"), 2u);
  EXPECT_EQ((*refs->find(mh(5)))->path, fs::path("/t/done/sub/b"));
  EXPECT_EQ((*refs->find(mh(6)))->path, fs::path("/t/tree0"));
  EXPECT_EQ(*refs->rename_file("/t/tré\xff", "/t/ok"), 1u);
  EXPECT_EQ((*refs->find(mh(7)))->path, fs::path("/t/ok/c"));
  EXPECT_EQ(*refs->remove_file("/t/done"), 2u);
  EXPECT_FALSE(refs->find(mh(4))->has_value());
  EXPECT_TRUE(refs->find(mh(6))->has_value());
  EXPECT_EQ(*refs->remove_file("/d/final"), 2u);
  EXPECT_EQ(*refs->count(), 3u);
  // remove_if_same keeps a reference recorded again since it was seen.
  EXPECT_FALSE(*refs->remove_if_same(mh(3), FileRef{"/d/.tmp-x2", 1, 5}));
  EXPECT_TRUE(*refs->remove_if_same(mh(3), FileRef{"/d/.tmp-x2", 0, 5}));
}

TEST(FileRefs, MigratesAnOlderDatabaseWithoutTheTable) {
  TestDir dir;
  fs::path db = dir.path() / "agora.db";
  {  // an agora.db as an older agora left it: pins only
    auto pins = PinStore::open(db);
    ASSERT_TRUE(pins.ok());
    ASSERT_TRUE((*pins)->add(raw_cid(test_block(10, 1)), PinType::direct).ok());
    auto sql = SqliteDb::open(db);
    ASSERT_TRUE(sql.ok());
    EXPECT_EQ(*(*sql)->schema_version("file_refs"), 0);
  }
  auto refs = open_refs(db);
  ASSERT_TRUE(refs);
  std::vector<std::pair<Multihash, FileRef>> batch{{mh(1), FileRef{"/f", 0, 10}}};
  EXPECT_TRUE(refs->add(batch).ok());
  auto sql = SqliteDb::open(db);
  EXPECT_EQ(*(*sql)->schema_version("file_refs"), 1);
  auto pins = PinStore::open(db);
  EXPECT_EQ((*pins)->counts()->direct, 1u);  // the pins are untouched
}

TEST(FileRefs, CorruptRowIsReportedNotAllocated) {
  TestDir dir;
  fs::path db = dir.path() / "agora.db";
  auto refs = open_refs(db, {.length_max = 1000});
  ASSERT_TRUE(refs);
  std::vector<std::pair<Multihash, FileRef>> batch{{mh(1), FileRef{"/f", 0, 10}}};
  ASSERT_TRUE(refs->add(batch).ok());
  auto sql = SqliteDb::open(db);
  ASSERT_TRUE((*sql)->exec("UPDATE file_refs SET length = 1000000000000").ok());
  auto found = refs->find(mh(1));
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, Errc::invalid_input);
  std::string problem;
  ASSERT_TRUE(refs->for_each([&](const FileRefEntry& e) -> Status {
                    problem = e.problem;
                    return {};
                  })
                  .ok());
  EXPECT_NE(problem.find("over the 1000-byte block limit"), std::string::npos) << problem;
}

// A blockstore reading through references into a file in the test directory.
struct RefStore {
  TestDir dir;
  std::unique_ptr<FileRefs> refs;
  std::unique_ptr<Blockstore> blocks;
  fs::path file;
  Bytes content;
  std::vector<Cid> leaves;  // 4 leaves of 1000 bytes

  explicit RefStore(HashedStampsConfig stamps = {}) {
    refs = open_refs(dir.path() / "agora.db");
    BlockstoreConfig config;
    config.fsync = false;
    config.hashed_stamps = stamps;
    auto b = Blockstore::open(dir.path() / "blocks", config);
    EXPECT_TRUE(b.ok());
    if (b.ok()) blocks = std::move(b).value();
    if (blocks) blocks->set_file_refs(refs.get());
    file = dir.path() / "user file.bin";
    content = test_block(4000, 42);
    write_bytes(file, content);
    std::vector<std::pair<Multihash, FileRef>> batch;
    for (uint64_t i = 0; i < 4; ++i) {
      BytesView leaf(content.data() + i * 1000, 1000);
      leaves.push_back(raw_cid(leaf));
      batch.emplace_back(leaves.back().hash(), FileRef{file, i * 1000, 1000});
    }
    EXPECT_TRUE(refs->add(batch).ok());
  }
  void change_byte(size_t at) {
    Bytes changed = content;
    changed[at] ^= 0x55;
    write_bytes(file, changed);
  }
};

// Serving remembers the stamp of a file it hashed; a change to the file changes the stamp, and the
// block is hashed again and found out. (Racy window 0 so the file just written counts; the sleep
// puts the change in a later timestamp tick, as on a kernel with coarse file times.)
TEST(BlockstoreRefs, AServedBlockIsHashedAgainOnceItsFileChanges) {
  using namespace std::chrono_literals;
  RefStore s({.racy_window = 0ms});
  ASSERT_TRUE(s.blocks);
  auto first = s.blocks->get_checked(s.leaves[1]);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->corrupt);
  EXPECT_EQ(s.blocks->hashed_stamps().size(), 1u);
  EXPECT_FALSE(s.blocks->get_checked(s.leaves[1])->corrupt);  // unchanged: served as is
  std::this_thread::sleep_for(20ms);
  s.change_byte(1500);
  auto after = s.blocks->get_checked(s.leaves[1]);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->corrupt);
  EXPECT_EQ(s.blocks->hashed_stamps().size(), 0u);
}

// With the default racy window, a file changed just now is hashed on every read.
TEST(BlockstoreRefs, AFileChangedJustNowIsNotTrusted) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  EXPECT_FALSE(s.blocks->get_checked(s.leaves[1])->corrupt);
  EXPECT_EQ(s.blocks->hashed_stamps().size(), 0u);
}

TEST(BlockstoreRefs, ReadsThroughReferences) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  EXPECT_TRUE(s.blocks->has(s.leaves[2]));
  EXPECT_EQ(*s.blocks->size(s.leaves[2]), 1000u);
  auto got = s.blocks->get(s.leaves[2]);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, Bytes(s.content.begin() + 2000, s.content.begin() + 3000));
  auto checked = s.blocks->get_checked(s.leaves[2]);
  ASSERT_TRUE(checked.ok());
  EXPECT_FALSE(checked->corrupt);
  EXPECT_TRUE(checked->referenced);
  size_t visited = 0;
  ASSERT_TRUE(s.blocks
                  ->for_each([&](const Multihash&, uint64_t size) -> Status {
                    EXPECT_EQ(size, 1000u);
                    ++visited;
                    return {};
                  })
                  .ok());
  EXPECT_EQ(visited, 4u);
  // A block file takes precedence and is visited once.
  ASSERT_TRUE(s.blocks->put(s.leaves[0], BytesView(s.content.data(), 1000)).ok());
  visited = 0;
  ASSERT_TRUE(s.blocks
                  ->for_each([&](const Multihash&, uint64_t) -> Status {
                    ++visited;
                    return {};
                  })
                  .ok());
  EXPECT_EQ(visited, 4u);
  // remove() drops the reference, never the user's file.
  ASSERT_TRUE(s.blocks->remove(s.leaves[3]).ok());
  EXPECT_FALSE(s.blocks->has(s.leaves[3]));
  EXPECT_EQ(s.blocks->get(s.leaves[3]).error().code, Errc::not_found);
  EXPECT_EQ(s.blocks->remove(s.leaves[3]).error().code, Errc::not_found);
  EXPECT_EQ(read_bytes(s.file), s.content);
}

TEST(BlockstoreRefs, ChangedByteIsAnErrorAndCorrupt) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  s.change_byte(1500);  // inside leaf 1
  auto got = s.blocks->get(s.leaves[1]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::io);
  std::string want = "file " + s.file.string() + " changed at offset 1000: block " +
                     s.leaves[1].to_string() + " no longer matches";
  EXPECT_NE(got.error().message.find(want), std::string::npos) << got.error().message;
  auto checked = s.blocks->get_checked(s.leaves[1]);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked->corrupt);
  EXPECT_TRUE(checked->referenced);
  EXPECT_TRUE(checked->data.empty());  // never handed out
  ASSERT_TRUE(checked->ref.has_value());
  EXPECT_EQ(checked->ref->offset, 1000u);
  EXPECT_TRUE(s.blocks->get(s.leaves[0]).ok());  // the other leaves still read
  // Quarantine moves block files only: the user's file stays.
  EXPECT_FALSE(s.blocks->quarantine(s.leaves[1].hash()).ok());
  EXPECT_TRUE(fs::exists(s.file));
  EXPECT_TRUE(*s.blocks->drop_ref(s.leaves[1].hash(), checked->ref));
  EXPECT_FALSE(s.blocks->has(s.leaves[1]));
  EXPECT_TRUE(fs::exists(s.file));
}

TEST(BlockstoreRefs, TruncatedOrVanishedFile) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  fs::resize_file(s.file, 3500);  // leaf 3 is cut short
  auto got = s.blocks->get(s.leaves[3]);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("truncated"), std::string::npos) << got.error().message;
  EXPECT_TRUE(s.blocks->get_checked(s.leaves[3])->corrupt);
  EXPECT_TRUE(s.blocks->get(s.leaves[2]).ok());
  fs::remove(s.file);
  got = s.blocks->get(s.leaves[0]);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::io);
  EXPECT_NE(got.error().message.find("is gone"), std::string::npos) << got.error().message;
  EXPECT_TRUE(s.blocks->get_checked(s.leaves[0])->corrupt);
  // A symlink put in its place is not the referenced file.
  write_bytes(s.dir.path() / "other", s.content);
  fs::create_symlink(s.dir.path() / "other", s.file);
  EXPECT_FALSE(s.blocks->get(s.leaves[0]).ok());
}

TEST(BlockstoreRefs, OverlongReferenceIsCorruptNotAllocated) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  auto sql = SqliteDb::open(s.dir.path() / "agora.db");
  ASSERT_TRUE((*sql)->exec("UPDATE file_refs SET length = 1000000000000").ok());
  auto checked = s.blocks->get_checked(s.leaves[0]);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked->corrupt);
  EXPECT_FALSE(s.blocks->get(s.leaves[0]).ok());
}

TEST(BlockstoreRefs, GcRemovesUnpinnedReferencesAndKeepsTheFile) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  auto pins = PinStore::open(s.dir.path() / "agora.db");
  ASSERT_TRUE(pins.ok());
  ASSERT_TRUE((*pins)->add(s.leaves[1], PinType::direct).ok());
  auto links = [](const Cid&, BytesView) -> Result<std::vector<Cid>> { return std::vector<Cid>{}; };
  auto report = collect_garbage(*s.blocks, **pins, links);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->removed_blocks, 3u);
  EXPECT_EQ(report->removed_bytes, 3000u);
  EXPECT_EQ(report->kept_blocks, 1u);
  EXPECT_EQ(*s.refs->count(), 1u);
  EXPECT_TRUE(s.blocks->has(s.leaves[1]));
  EXPECT_FALSE(s.blocks->has(s.leaves[0]));
  EXPECT_EQ(read_bytes(s.file), s.content);
  auto stat = repo_stat(*s.blocks, **pins);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->referenced_blocks, 1u);
  EXPECT_EQ(stat->referenced_bytes, 1000u);
  EXPECT_EQ(stat->blocks, 0u);
}

TEST(BlockstoreRefs, VerifyReportsAndDropsBrokenReferences) {
  RefStore s;
  ASSERT_TRUE(s.blocks);
  auto clean = verify_blocks(*s.blocks, s.blocks->quarantine_dir());
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->clean());
  EXPECT_EQ(clean->good_refs, 4u);
  s.change_byte(2999);  // last byte of leaf 2
  auto report = verify_blocks(*s.blocks, s.blocks->quarantine_dir());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->clean());
  EXPECT_EQ(report->checked_refs, 4u);
  EXPECT_EQ(report->good_refs, 3u);
  ASSERT_EQ(report->broken_ref_count, 1u);
  const BrokenRef& b = report->broken_refs.at(0);
  EXPECT_EQ(b.hash, s.leaves[2].hash());
  EXPECT_EQ(b.ref.offset, 2000u);
  EXPECT_TRUE(b.removed);
  EXPECT_NE(b.reason.find("changed at offset 2000"), std::string::npos) << b.reason;
  EXPECT_EQ(report->quarantined_count, 0u);
  EXPECT_FALSE(s.blocks->has(s.leaves[2]));
  EXPECT_TRUE(fs::exists(s.file));
  EXPECT_TRUE(verify_blocks(*s.blocks, s.blocks->quarantine_dir())->clean());
}

}  // namespace
}  // namespace agora::store
