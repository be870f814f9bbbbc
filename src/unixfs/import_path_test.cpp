#include "unixfs/import_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "unixfs/exporter.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

using testing::random_bytes;
using testing::read_disk_file;
using testing::TempDir;
using testing::write_file;

// Compares two trees on disk: same names, same kinds, same file bytes, same symlink targets.
void expect_same_tree(const std::filesystem::path& a, const std::filesystem::path& b) {
  ASSERT_EQ(std::filesystem::is_symlink(a), std::filesystem::is_symlink(b)) << a;
  if (std::filesystem::is_symlink(a)) {
    EXPECT_EQ(std::filesystem::read_symlink(a), std::filesystem::read_symlink(b)) << a;
    return;
  }
  ASSERT_EQ(std::filesystem::is_directory(a), std::filesystem::is_directory(b)) << a;
  if (!std::filesystem::is_directory(a)) {
    EXPECT_TRUE(read_disk_file(a) == read_disk_file(b)) << a;
    return;
  }
  std::vector<std::string> names_a, names_b;
  for (auto& e : std::filesystem::directory_iterator(a)) names_a.push_back(e.path().filename());
  for (auto& e : std::filesystem::directory_iterator(b)) names_b.push_back(e.path().filename());
  std::sort(names_a.begin(), names_a.end());
  std::sort(names_b.begin(), names_b.end());
  ASSERT_EQ(names_a, names_b) << a;
  for (const std::string& n : names_a) expect_same_tree(a / n, b / n);
}

ImportedNode import_ok(const std::filesystem::path& p, BlockSink& sink,
                       ImportOptions options = {}) {
  auto r = import_path(p, options, sink);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : ImportedNode{};
}

void round_trip(const std::filesystem::path& src, const ImportOptions& options) {
  MemoryBlocks blocks;
  ImportedNode root = import_ok(src, blocks, options);
  TempDir out;
  auto s = export_to_path(blocks, root.cid, out.path() / "x");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  expect_same_tree(src, out.path() / "x");
  // Importing the export again gives the same CID.
  MemoryBlocks again;
  EXPECT_EQ(import_ok(out.path() / "x", again, options).cid, root.cid);
}

TEST(ImportPath, ManySmallFilesRoundTrip) {
  TempDir tmp;
  for (int i = 0; i < 300; ++i)
    write_file(tmp.path() / "d" / ("file" + std::to_string(i)), random_bytes(i * 7, i));
  round_trip(tmp.path() / "d", ImportOptions{});
  ImportOptions legacy;
  legacy.profile = profile_unixfs_v0_2015();
  round_trip(tmp.path() / "d", legacy);
}

TEST(ImportPath, DeepNestingUnicodeNamesSymlinksAndEmptyThings) {
  TempDir tmp;
  std::filesystem::path deep = tmp.path() / "t";
  for (int i = 0; i < 40; ++i) deep /= "level" + std::to_string(i);
  write_file(deep / "bottom.bin", random_bytes(5000, 1));
  write_file(tmp.path() / "t" / "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", as_bytes("nihongo"));
  write_file(tmp.path() / "t" / "caf\xc3\xa9 \xf0\x9f\x98\x80.txt", as_bytes("emoji"));
  write_file(tmp.path() / "t" / "empty", {});
  write_file(tmp.path() / "t" / ".hidden", as_bytes("dot"));
  std::filesystem::create_directories(tmp.path() / "t" / "empty-dir");
  std::filesystem::create_symlink("level0/level1", tmp.path() / "t" / "rel-link");
  std::filesystem::create_symlink("/nonexistent/target", tmp.path() / "t" / "dangling");
  Profile small = profile_unixfs_v1_2025();
  small.chunk_bytes = 256;  // bottom.bin spans a tree of leaves
  small.links_per_node_max = 3;
  ImportOptions options;
  options.profile = small;
  round_trip(tmp.path() / "t", options);
}

TEST(ImportPath, ShardedDirectoriesRoundTrip) {
  TempDir tmp;
  for (int i = 0; i < 600; ++i)
    write_file(tmp.path() / "h" / ("entry-" + std::to_string(i)), as_bytes(std::to_string(i)));
  write_file(tmp.path() / "h" / "sub" / "x", as_bytes("x"));
  for (size_t fanout : {256u, 16u}) {
    Profile p = profile_unixfs_v1_2025();
    p.hamt_threshold_bytes = 1000;  // shard early
    p.hamt_fanout = fanout;
    ImportOptions options;
    options.profile = p;
    round_trip(tmp.path() / "h", options);
    MemoryBlocks blocks;
    ImportedNode root = import_ok(tmp.path() / "h", blocks, options);
    auto st = stat(blocks, root.cid);
    ASSERT_TRUE(st.ok());
    EXPECT_TRUE(st->sharded);
    auto list = list_directory(blocks, root.cid);
    ASSERT_TRUE(list.ok()) << list.error().to_string();
    EXPECT_EQ(list->size(), 601u);
    auto x = resolve_path(blocks, root.cid, "sub/x");
    ASSERT_TRUE(x.ok()) << x.error().to_string();
    EXPECT_EQ(*testing::read_all(blocks, *x), to_bytes("x"));
    EXPECT_EQ(root.tsize, blocks.total_bytes());
  }
}

TEST(ImportPath, SingleFileAndSymlinkRoots) {
  TempDir tmp;
  write_file(tmp.path() / "f", as_bytes("hello agora\n"));
  std::filesystem::create_symlink("f", tmp.path() / "l");
  MemoryBlocks blocks;
  EXPECT_EQ(import_ok(tmp.path() / "f", blocks).cid.to_string(),
            "bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygykq");
  ImportedNode link = import_ok(tmp.path() / "l", blocks);
  auto st = stat(blocks, link.cid);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, NodeType::symlink);  // not followed
  EXPECT_EQ(st->size, 1u);
}

TEST(ImportPath, PreservesModeAndMtimeOnlyWhenAsked) {
  TempDir tmp;
  write_file(tmp.path() / "d" / "f", as_bytes("data"));
  ::chmod((tmp.path() / "d" / "f").c_str(), 0640);
  struct timespec times[2] = {{1000, 0}, {1700000000, 123}};
  ::utimensat(AT_FDCWD, (tmp.path() / "d" / "f").c_str(), times, 0);
  MemoryBlocks blocks;
  ImportedNode plain = import_ok(tmp.path() / "d" / "f", blocks);
  EXPECT_EQ(plain.cid.codec(), kCodecRaw);
  ImportOptions options;
  options.preserve_mode = true;
  options.preserve_mtime = true;
  ImportedNode meta = import_ok(tmp.path() / "d" / "f", blocks, options);
  auto st = stat(blocks, meta.cid);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->mtime, (UnixTime{1700000000, 123}));
  EXPECT_EQ(*testing::read_all(blocks, meta.cid), to_bytes("data"));
}

TEST(ImportPath, SkipsHiddenEntriesOnlyWhenAsked) {
  TempDir tmp;
  write_file(tmp.path() / "d" / ".git" / "x", as_bytes("x"));
  write_file(tmp.path() / "d" / "y", as_bytes("y"));
  MemoryBlocks blocks;
  ImportOptions options;
  EXPECT_EQ(list_directory(blocks, import_ok(tmp.path() / "d", blocks, options).cid)->size(), 2u);
  options.skip_hidden = true;
  EXPECT_EQ(list_directory(blocks, import_ok(tmp.path() / "d", blocks, options).cid)->size(), 1u);
}

TEST(ImportPath, ErrorsNameThePath) {
  TempDir tmp;
  MemoryBlocks blocks;
  auto missing = import_path(tmp.path() / "nope", ImportOptions{}, blocks);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);

  std::filesystem::create_directories(tmp.path() / "d");
  ASSERT_EQ(::mkfifo((tmp.path() / "d" / "pipe").c_str(), 0600), 0);
  auto fifo = import_path(tmp.path() / "d", ImportOptions{}, blocks);
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(fifo.error().code, Errc::unsupported);
  EXPECT_NE(fifo.error().message.find("pipe"), std::string::npos);

  std::filesystem::create_directories(tmp.path() / "e");
  write_file(tmp.path() / "e" / "bad\xff name", as_bytes("x"));
  auto utf8 = import_path(tmp.path() / "e", ImportOptions{}, blocks);
  ASSERT_FALSE(utf8.ok());
  EXPECT_EQ(utf8.error().code, Errc::invalid_input);
  EXPECT_NE(utf8.error().message.find("bad"), std::string::npos);

  ImportOptions shallow;
  shallow.depth_max = 2;
  write_file(tmp.path() / "n" / "1" / "2" / "3" / "f", as_bytes("x"));
  EXPECT_EQ(import_path(tmp.path() / "n", shallow, blocks).error().code, Errc::too_large);

  ImportOptions bad_profile;
  bad_profile.profile.chunk_bytes = 0;
  EXPECT_EQ(import_path(tmp.path() / "n", bad_profile, blocks).error().code, Errc::invalid_input);
}

TEST(ImportPath, ReportsProgress) {
  TempDir tmp;
  write_file(tmp.path() / "d" / "a", random_bytes(300000, 1));
  write_file(tmp.path() / "d" / "b", random_bytes(1000, 2));
  MemoryBlocks blocks;
  std::vector<uint64_t> seen;
  auto r = import_path(tmp.path() / "d", ImportOptions{}, blocks,
                       [&](uint64_t bytes) { seen.push_back(bytes); });
  ASSERT_TRUE(r.ok());
  ASSERT_GE(seen.size(), 3u);  // the 300 kB file takes more than one read
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 301000u);
  EXPECT_EQ(r->size, 301000u);
}

// An export reports the file and symlink bytes it has written, growing to their total.
TEST(ImportPath, ExportReportsBytesWritten) {
  TempDir tmp;
  write_file(tmp.path() / "d" / "a", random_bytes(300000, 1));
  write_file(tmp.path() / "d" / "sub" / "b", random_bytes(1000, 2));
  std::filesystem::create_symlink("a", tmp.path() / "d" / "l");
  MemoryBlocks blocks;
  ImportedNode root = import_ok(tmp.path() / "d", blocks);
  std::vector<uint64_t> seen;
  auto s = export_to_path(blocks, root.cid, tmp.path() / "out", {},
                          [&](uint64_t bytes) { seen.push_back(bytes); });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 300000u + 1000u + 1u);  // the files, and the symlink's target "a"
}

// Each entry below the root is reported once, after what is under it, with the CID its path
// resolves to in the imported DAG.
TEST(ImportPath, ReportsEntriesChildrenFirst) {
  TempDir tmp;
  write_file(tmp.path() / "d" / "a.txt", as_bytes("a"));
  write_file(tmp.path() / "d" / "sub" / "b.txt", as_bytes("bb"));
  std::filesystem::create_directories(tmp.path() / "d" / "sub" / "empty");
  std::filesystem::create_symlink("a.txt", tmp.path() / "d" / "z-link");
  MemoryBlocks blocks;
  std::vector<std::pair<std::string, Cid>> seen;
  std::vector<EntryKind> kinds;
  auto r = import_path(tmp.path() / "d", ImportOptions{}, blocks, {}, [&](const ImportedEntry& e) {
    seen.emplace_back(std::string(e.relative_path), e.node.cid);
    kinds.push_back(e.kind);
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::vector<std::string> names;
  for (const auto& [name, cid] : seen) {
    names.push_back(name);
    auto resolved = resolve_path(blocks, r->cid, name);
    ASSERT_TRUE(resolved.ok()) << name;
    EXPECT_EQ(*resolved, cid) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "sub/b.txt", "sub/empty", "sub", "z-link"}));
  EXPECT_EQ(kinds,
            (std::vector<EntryKind>{EntryKind::file, EntryKind::file, EntryKind::empty_directory,
                                    EntryKind::directory, EntryKind::symlink}));
  // A single file has no entries: it is the root.
  size_t calls = 0;
  ASSERT_TRUE(import_path(tmp.path() / "d" / "a.txt", ImportOptions{}, blocks, {},
                          [&](const ImportedEntry&) { ++calls; })
                  .ok());
  EXPECT_EQ(calls, 0u);
}

// Records where each raw leaf came from, as a --nocopy sink does.
class LeafOriginSink : public MemoryBlocks {
 public:
  struct Origin {
    std::filesystem::path file;
    uint64_t offset;
    Bytes bytes;
  };
  Status put_leaf(const Cid& cid, Bytes block, uint64_t file_offset) override {
    origins.push_back({file_, file_offset, block});
    return put(cid, std::move(block));
  }
  Status begin_file(const std::filesystem::path& path) override {
    file_ = path;
    return {};
  }
  std::vector<Origin> origins;

 private:
  std::filesystem::path file_;
};

TEST(ImportPath, TellsTheSinkEachRawLeafsFileAndOffset) {
  TempDir dir;
  Bytes big = random_bytes(3 * 1024 * 1024 + 12345, 7);
  Bytes small = random_bytes(100, 8);
  write_file(dir.path() / "t/big", big);
  write_file(dir.path() / "t/small", small);
  LeafOriginSink sink;
  import_ok(dir.path() / "t", sink);
  ASSERT_EQ(sink.origins.size(), 5u);  // 4 leaves of big, 1 of small
  uint64_t big_bytes = 0;
  for (const auto& o : sink.origins) {
    const Bytes& file = o.file.filename() == "big" ? big : small;
    if (&file == &big) big_bytes += o.bytes.size();
    ASSERT_LE(o.offset + o.bytes.size(), file.size()) << o.file;
    EXPECT_TRUE(std::equal(o.bytes.begin(), o.bytes.end(), file.begin() + int64_t(o.offset)))
        << o.file << " at " << o.offset;
  }
  EXPECT_EQ(big_bytes, big.size());
  // dag-pb leaves are not raw: no leaf origins at all.
  LeafOriginSink v0;
  ImportOptions options;
  options.profile = profile_unixfs_v0_2015();
  import_ok(dir.path() / "t", v0, options);
  EXPECT_TRUE(v0.origins.empty());
}

}  // namespace
}  // namespace agora::unixfs
