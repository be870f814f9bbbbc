// Two agora::Nodes in one process over loopback: a reader fetches only what it reads (a path's
// blocks, a listing's entries), checks a get's destination before fetching, and stops an operation
// when its CancelToken is set, leaving nothing at the destination and no pin.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "agora/hash.h"
#include "agora/node.h"
#include "agora/repo.h"

namespace agora {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NodeFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("agora-fetch-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    seed_ = open_node("seed");
    reader_ = open_node("reader");
    // A tree whose big file dwarfs the rest: big.bin (8 MiB), sub/small.txt, sub/deeper/x.txt.
    fs::create_directories(dir_ / "tree/sub/deeper");
    std::string big(8 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char((i * 2654435761u) >> 13);
    write(dir_ / "tree/big.bin", big);
    write(dir_ / "tree/sub/small.txt", "small file\n");
    write(dir_ / "tree/sub/deeper/x.txt", "x\n");
    auto root = seed_->add_path(dir_ / "tree", {});
    ASSERT_TRUE(root.ok()) << root.error().message;
    root_ = root->cid;
    seed_addr_ = seed_->start_report().listen_addrs.at(0);
  }
  void TearDown() override {
    reader_.reset();
    seed_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<Node> open_node(const std::string& name) {
    fs::path repo = dir_ / name;
    EXPECT_TRUE(init_repo(repo, {{"/ip4/127.0.0.1/tcp/0"}, "127.0.0.1:0"}).ok());
    ConfigOverrides o;
    o.mdns = false;
    EXPECT_TRUE(override_config(repo, o).ok());
    auto node = Node::open({.repo = repo, .dht = false});
    EXPECT_TRUE(node.ok()) << node.error().message;
    return node ? std::move(*node) : nullptr;
  }
  static void write(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
  }
  uint64_t reader_block_bytes() {
    auto st = reader_->repo_stat();
    return st ? (*st)["block_bytes"].get<uint64_t>() : 0;
  }

  fs::path dir_;
  std::unique_ptr<Node> seed_, reader_;
  std::string root_, seed_addr_;
};

TEST_F(NodeFetchTest, LsAndCatOfAPathFetchOnlyTheBlocksOnTheWay) {
  auto listing = reader_->ls(root_ + "/sub", {seed_addr_});
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  ASSERT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->entries[0].name, "deeper");
  EXPECT_EQ(listing->entries[0].type, "directory");
  EXPECT_EQ(listing->entries[1].name, "small.txt");
  EXPECT_EQ(listing->entries[1].size, 11u);
  std::string text;
  ASSERT_TRUE(reader_
                  ->cat(root_ + "/sub/small.txt", {},
                        [&](std::span<const uint8_t> b) {
                          text.append(reinterpret_cast<const char*>(b.data()), b.size());
                          return Status();
                        })
                  .ok());
  EXPECT_EQ(text, "small file\n");
  // The 8 MiB file was never fetched: a few directory nodes and two small files.
  EXPECT_LT(reader_block_bytes(), 64u * 1024);
  EXPECT_TRUE(reader_->operations().empty());
}

TEST_F(NodeFetchTest, CatOfADirectoryOrAMissingPathSaysWhatItIs) {
  auto st =
      reader_->cat(root_ + "/sub", {seed_addr_}, [](std::span<const uint8_t>) { return Status(); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
  EXPECT_NE(st.error().message.find("is a directory"), std::string::npos) << st.error().message;
  auto missing = reader_->resolve(root_ + "/nope", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(NodeFetchTest, GetChecksTheDestinationBeforeFetchingAnything) {
  write(dir_ / "exists.bin", "mine");
  GetRequest request{.content_path = root_ + "/big.bin",
                     .peers = {seed_addr_},
                     .dest = (dir_ / "exists.bin").string()};
  auto got = reader_->get(request);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::exists);
  write(dir_ / "a-file", "");
  request.dest = (dir_ / "a-file" / "out.bin").string();  // its parent is not a directory
  got = reader_->get(request);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("Not a directory"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("the daemon writes it as user"), std::string::npos);
  EXPECT_EQ(reader_block_bytes(), 0u);
  std::ifstream mine(dir_ / "exists.bin");
  std::string kept((std::istreambuf_iterator<char>(mine)), {});
  EXPECT_EQ(kept, "mine");
}

TEST_F(NodeFetchTest, ACancelledGetLeavesNothingAtTheDestinationAndResumesLater) {
  GetRequest request{.content_path = root_ + "/big.bin",
                     .peers = {seed_addr_},
                     .dest = (dir_ / "out.bin").string()};
  // Cancelled from inside its own progress: once the fetch is under way.
  bool saw_fetching = false;
  auto got = reader_->get(request, [&](const GetProgress& p) {
    if (p.phase == "fetching") {
      saw_fetching = true;
      request.cancel.cancel();
    }
  });
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(saw_fetching);
  EXPECT_EQ(got.error().code, Errc::cancelled) << got.error().message;
  EXPECT_FALSE(fs::exists(dir_ / "out.bin"));
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".out.bin"), std::string::npos) << e.path();
  EXPECT_TRUE(reader_->operations().empty());
  // Again, to the end: the file arrives whole.
  GetRequest again{.content_path = root_ + "/big.bin", .dest = (dir_ / "out.bin").string()};
  auto done = reader_->get(again);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(fs::file_size(dir_ / "out.bin"), 8u << 20);
}

TEST_F(NodeFetchTest, OperationsAreListedAndCancelledById) {
  // Nobody has this content: the fetch waits until it is cancelled.
  write(dir_ / "nobody.txt", "nobody has these bytes");
  auto hashed = hash_path(dir_ / "nobody.txt", "unixfs-v1-2025", false);
  ASSERT_TRUE(hashed.ok());
  const std::string nobody = hashed->cid;
  CancelToken token;
  Result<std::string> fetched = make_error(Errc::internal, "not run");
  std::thread t([&] { fetched = reader_->fetch(nobody, {seed_addr_}, token); });
  std::vector<OperationInfo> ops;
  for (int i = 0; i < 100 && ops.empty(); ++i) {
    std::this_thread::sleep_for(20ms);
    ops = reader_->operations();
  }
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, "fetch");
  EXPECT_EQ(ops[0].target, nobody);
  EXPECT_FALSE(ops[0].cancelling);
  EXPECT_EQ(reader_->cancel_operation(ops[0].id + 1000).error().code, Errc::not_found);
  ASSERT_TRUE(reader_->cancel_operation(ops[0].id).ok());
  t.join();
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().code, Errc::cancelled);
  EXPECT_TRUE(reader_->operations().empty());
}

TEST_F(NodeFetchTest, ACancelledAddPinsNothing) {
  CancelToken token;
  token.cancel();
  auto added = reader_->add_path(dir_ / "tree", {}, {}, token);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, Errc::cancelled);
  auto pins = reader_->pins();
  ASSERT_TRUE(pins.ok());
  EXPECT_TRUE(pins->empty());
}

}  // namespace
}  // namespace agora
