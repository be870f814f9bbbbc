// agora::Node against a real repo on disk, alone (two nodes: examples/two_nodes): content in and
// out, pins, blocks, and the kinds of the errors it returns.
#include "agora/node.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "agora/repo.h"

namespace agora {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("agora-node-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ASSERT_TRUE(init_repo(dir_ / "repo", {{"/ip4/127.0.0.1/tcp/0"}, "127.0.0.1:0"}).ok());
    ConfigOverrides o;
    o.mdns = false;
    ASSERT_TRUE(override_config(dir_ / "repo", o).ok());
    auto node = Node::open({.repo = dir_ / "repo"});
    ASSERT_TRUE(node.ok()) << node.error().message;
    node_ = std::move(*node);
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }

  std::string add_bytes(const std::string& data, AddSettings settings = {}) {
    auto add = node_->add_stream(settings);
    EXPECT_TRUE(add.ok());
    EXPECT_TRUE((*add)->write({reinterpret_cast<const uint8_t*>(data.data()), data.size()}).ok());
    auto root = (*add)->finish();
    EXPECT_TRUE(root.ok()) << root.error().message;
    return root ? root->cid : "";
  }

  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTest, TheRepoIsLockedWhileOpen) {
  auto second = Node::open({.repo = dir_ / "repo"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::exists);
  auto none = Node::open({.repo = dir_ / "nothing here"});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::not_found);
}

TEST_F(NodeTest, AddedContentReadsListsExportsAndPins) {
  std::string data(300'000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = char(i * 7919 % 251);
  std::string cid = add_bytes(data);
  EXPECT_EQ(node_->start_report().listen_addrs.size(), 1u);

  std::string read;
  ASSERT_TRUE(node_
                  ->cat(cid, {},
                        [&](std::span<const uint8_t> b) {
                          read.append(reinterpret_cast<const char*>(b.data()), b.size());
                          return Status();
                        })
                  .ok());
  EXPECT_EQ(read, data);

  auto listing = node_->ls(cid, {});
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  ASSERT_EQ(listing->entries.size(), 1u);
  EXPECT_EQ(listing->entries[0].type, "file");
  EXPECT_EQ(listing->entries[0].size, data.size());

  std::vector<GetProgress> progress;
  GetRequest request{cid, {}, (dir_ / "out.bin").string(), 0};
  auto got = node_->get(request, [&](const GetProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->bytes, data.size());
  EXPECT_EQ(got->fetched.blocks_fetched, 0u);  // every block was already stored
  std::ifstream out(request.dest, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(out), {}), data);

  request.output_bytes_max = 1000;
  request.dest = (dir_ / "small.bin").string();
  auto refused = node_->get(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_FALSE(fs::exists(request.dest));

  auto pins = node_->pins();
  ASSERT_TRUE(pins.ok());
  ASSERT_EQ(pins->size(), 1u);
  EXPECT_EQ((*pins)[0].cid, cid);
  EXPECT_TRUE((*pins)[0].recursive);
  ASSERT_TRUE(node_->pin_remove(cid, std::nullopt, true).ok());
  EXPECT_TRUE(node_->pins()->empty());
  auto unpinned_again = node_->pin_remove(cid, std::nullopt, true);
  EXPECT_FALSE(unpinned_again.ok());
}

TEST_F(NodeTest, OnlyHashStoresAndPinsNothing) {
  AddSettings settings;
  settings.only_hash = true;
  std::string cid = add_bytes("hello", settings);
  EXPECT_FALSE(cid.empty());
  EXPECT_TRUE(node_->pins()->empty());
  auto stat = node_->block_stat(cid);
  ASSERT_FALSE(stat.ok());
  EXPECT_EQ(stat.error().code, Errc::not_found);
}

TEST_F(NodeTest, NoCopyReferencesTheFileAndDetectsAChange) {
  std::string data(3 << 20, '\0');
  std::mt19937 rng(7);  // three distinct leaves
  for (char& c : data) c = char(rng());
  fs::path file = dir_ / "user.bin";
  std::ofstream(file, std::ios::binary) << data;
  AddSettings settings;
  settings.nocopy = true;
  auto added = node_->add_path(file, settings);
  ASSERT_TRUE(added.ok()) << added.error().message;
  auto stat = node_->repo_stat();
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ((*stat)["referenced_blocks"], 3);  // three 1 MiB leaves
  EXPECT_EQ((*stat)["referenced_bytes"], data.size());
  EXPECT_EQ((*stat)["blocks"], 1);  // the root only
  std::string read;
  auto reader = [&](std::span<const uint8_t> b) -> Status {
    read.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  };
  ASSERT_TRUE(node_->read_file(added->cid, reader).ok());
  EXPECT_TRUE(read == data);

  {  // one byte of the second leaf changes in place
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((1 << 20) + 5);
    f.put(char(data[(1 << 20) + 5] ^ 1));
  }
  read.clear();
  auto changed = node_->read_file(added->cid, reader);
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.error().message.find("changed at offset 1048576"), std::string::npos)
      << changed.error().message;
  auto verify = node_->repo_verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ((*verify)["clean"], false);
  EXPECT_EQ((*verify)["broken_refs_count"], 1);
  EXPECT_EQ((*verify)["broken_refs"][0]["offset"], 1 << 20);
  EXPECT_TRUE(fs::exists(file));

  // Refused: a stream has no file; dag-pb leaves are no byte range of it.
  auto stream = node_->add_stream(settings);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error().code, Errc::invalid_input);
  settings.profile = "unixfs-v0-2015";
  auto v0 = node_->add_path(file, settings);
  ASSERT_FALSE(v0.ok());
  EXPECT_NE(v0.error().message.find("needs raw leaves"), std::string::npos);
}

TEST_F(NodeTest, BlocksRoundTripAndRefuseBadInput) {
  std::string body = "a raw block";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  auto cid = node_->block_put(bytes, "raw", false);
  ASSERT_TRUE(cid.ok()) << cid.error().message;
  auto got = node_->block_get(*cid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(got->begin(), got->end()), body);
  auto stat = node_->block_stat(*cid);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->size, body.size());
  EXPECT_EQ(stat->codec, "raw");

  EXPECT_EQ(node_->block_put(bytes, "json", false).error().code, Errc::invalid_input);
  std::vector<uint8_t> big(node_->block_bytes_max() + 1);
  EXPECT_EQ(node_->block_put(big, "raw", false).error().code, Errc::too_large);
  EXPECT_EQ(node_->block_stat("not a cid").error().code, Errc::invalid_input);
}

TEST_F(NodeTest, PeersAndViewsAnswerWithKinds) {
  Json id = node_->id();
  EXPECT_EQ(id["peer"], node_->peer_id());
  EXPECT_TRUE(node_->peers().is_array());
  EXPECT_TRUE(node_->swarm_limits().contains("connections"));
  EXPECT_TRUE(node_->known_peers().ok());
  EXPECT_EQ(node_->disconnect(node_->peer_id()).error().code, Errc::not_found);
  EXPECT_FALSE(node_->connect("/not/a/multiaddr").ok());
  auto bootstrap = node_->bootstrap_list();
  ASSERT_TRUE(bootstrap.ok());
  auto status = node_->dht_status();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ((*status)["peer"], node_->peer_id());
  EXPECT_FALSE(Node::validate_dht_key("/pk/nope", true).ok());
  EXPECT_TRUE(Node::validate_dht_key("/pk/" + node_->peer_id(), true).ok());
  Json events = node_->events(std::nullopt, 10);
  EXPECT_TRUE(events["events"].is_array());
  node_->count("agora_test_total", "A test's counter", {{"kind", "x"}}, 3);
  EXPECT_NE(node_->metrics_text().find("agora_test_total{kind=\"x\"} 3"), std::string::npos);
}

}  // namespace
}  // namespace agora
