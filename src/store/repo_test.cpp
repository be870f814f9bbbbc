#include "store/repo.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "codec/peer_id.h"
#include "store/api_file.h"
#include "store/file_util.h"
#include "store/identity_key.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

PeerId peer_of(const crypto::Ed25519PrivateKey& k) {
  return PeerId::from_public_key(
      {KeyType::ed25519, Bytes(k.public_key().begin(), k.public_key().end())});
}

std::string slurp(const fs::path& p) {
  auto r = read_file(p, 1 << 20);
  EXPECT_TRUE(r.ok()) << p;
  return r.ok() ? *r : std::string();
}

TEST(Repo, InitCreatesFilesWithModes) {
  TestDir dir;
  fs::path root = dir.path() / "nested" / "repo";
  ASSERT_TRUE(init_repo(root, {}).ok());
  EXPECT_EQ(mode_of(root), 0700u);
  EXPECT_EQ(mode_of(root / "identity.key"), 0600u);
  EXPECT_EQ(mode_of(root / "api.token"), 0600u);
  EXPECT_EQ(mode_of(root / "config.toml"), 0644u);
  EXPECT_EQ(slurp(root / "version"), "1\n");
  std::string key = slurp(root / "identity.key");
  EXPECT_EQ(key.rfind("# agora identity key (Ed25519), keep secret\n", 0), 0u);
  EXPECT_NE(key.find("\ned25519-libp2p-private-key: 08011240"), std::string::npos) << key;
  std::string token = slurp(root / "api.token");
  EXPECT_EQ(token.size(), 65u);
  EXPECT_TRUE(from_hex(token.substr(0, 64)).ok());
  // No temp files left behind.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(root)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    ++entries;
  }
  EXPECT_EQ(entries, 4u);
}

TEST(Repo, RefusesSecondInit) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  std::string before = slurp(dir.path() / "identity.key");
  Status again = init_repo(dir.path(), {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::exists);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(slurp(dir.path() / "identity.key"), before);
}

TEST(Repo, OpenRoundTripsKeyAndConfig) {
  TestDir dir;
  auto key = crypto::Ed25519PrivateKey::generate();
  InitOptions opts;
  opts.identity = key;
  opts.listen = std::vector<std::string>{"/ip4/127.0.0.1/tcp/0"};
  opts.api_address = "127.0.0.1:0";
  ASSERT_TRUE(init_repo(dir.path(), opts).ok());
  auto repo = open_repo(dir.path());
  ASSERT_TRUE(repo.ok()) << repo.error().to_string();
  EXPECT_EQ(repo->identity.seed(), key.seed());
  EXPECT_EQ(peer_of(repo->identity), peer_of(key));
  EXPECT_EQ(repo->config.listen, *opts.listen);
  EXPECT_EQ(repo->config.api_address, "127.0.0.1:0");
  EXPECT_EQ(repo->api_token, slurp(dir.path() / "api.token").substr(0, 64));
  // The file's comment shows the peer id.
  EXPECT_NE(slurp(dir.path() / "identity.key").find("# peer id: " + peer_of(key).to_string()),
            std::string::npos);
}

TEST(Repo, GeneratedKeysDiffer) {
  TestDir a, b;
  ASSERT_TRUE(init_repo(a.path(), {}).ok());
  ASSERT_TRUE(init_repo(b.path(), {}).ok());
  auto ra = open_repo(a.path());
  auto rb = open_repo(b.path());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_NE(peer_of(ra->identity), peer_of(rb->identity));
  EXPECT_NE(ra->api_token, rb->api_token);
}

TEST(Repo, InitRejectsBadOverrides) {
  TestDir dir;
  InitOptions opts;
  opts.listen = std::vector<std::string>{"/ip4/0.0.0.0/tpc/1"};
  Status st = init_repo(dir.path() / "r", opts);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("tpc"), std::string::npos) << st.error().message;
  EXPECT_FALSE(fs::exists(dir.path() / "r"));
  opts = {};
  opts.api_address = "nowhere";
  EXPECT_FALSE(init_repo(dir.path() / "r", opts).ok());
}

TEST(Repo, MissingRepoSaysRunInit) {
  TestDir dir;
  for (const fs::path& p : {dir.path() / "absent", dir.path()}) {
    auto r = open_repo(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "no agora repo at " + p.string() + " (run `agora init`)");
  }
}

TEST(Repo, CorruptKeyNamesFileAndLine) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  fs::path key = dir.path() / "identity.key";
  std::string text = slurp(key);
  size_t at = text.find("08011240");
  text[at + 20] = text[at + 20] == 'a' ? 'b' : 'a';  // public key no longer matches the seed
  ASSERT_TRUE(write_file_atomic(key, text, 0600).ok());
  auto r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(key.string() + ":3: ", 0), 0u) << r.error().message;

  ASSERT_TRUE(write_file_atomic(key, "# agora identity key\n\nnot a key\n", 0600).ok());
  r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(key.string() + ":3: expected", 0), 0u) << r.error().message;

  ASSERT_TRUE(write_file_atomic(key, "ed25519-libp2p-private-key: 0801zz\n", 0600).ok());
  r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("identity.key:1: key is not valid hex"), std::string::npos)
      << r.error().message;

  ASSERT_TRUE(write_file_atomic(key, "", 0600).ok());
  r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("identity.key:1: no 'ed25519-libp2p-private-key:'"),
            std::string::npos)
      << r.error().message;
}

TEST(Repo, KeyProtobufChecks) {
  auto key = crypto::Ed25519PrivateKey::generate();
  Bytes pb = encode_private_key_proto(key);
  ASSERT_EQ(pb.size(), 68u);
  EXPECT_EQ(to_hex(BytesView(pb).first(4)), "08011240");
  auto back = decode_private_key_proto(pb);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->seed(), key.seed());
  Bytes rsa = pb;
  rsa[1] = 0;
  auto r = decode_private_key_proto(rsa);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unsupported);
  EXPECT_FALSE(decode_private_key_proto(BytesView(pb).first(2)).ok());   // no Data
  EXPECT_FALSE(decode_private_key_proto(BytesView(pb).first(40)).ok());  // truncated Data
  Bytes extra = pb;
  extra.insert(extra.end(), {0x18, 0x01});  // unknown field 3
  EXPECT_FALSE(decode_private_key_proto(extra).ok());
}

TEST(Repo, BadConfigNamesFileAndLine) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  fs::path cfg = dir.path() / "config.toml";
  std::string text = slurp(cfg);
  size_t lines = size_t(std::count(text.begin(), text.end(), '\n'));
  ASSERT_TRUE(write_file_atomic(cfg, text + "[extra]\n", 0644).ok());
  auto r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(
                cfg.string() + ":" + std::to_string(lines + 1) + ":2: unknown key 'extra'", 0),
            0u)
      << r.error().message;
  // A duplicate key is a TOML syntax error, also with its position.
  ASSERT_TRUE(write_file_atomic(cfg, text + "connections_max = 3\n", 0644).ok());
  r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(cfg.string() + ":" + std::to_string(lines + 1) + ":", 0), 0u)
      << r.error().message;
}

TEST(Repo, RefusesUnknownVersion) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  ASSERT_TRUE(write_file_atomic(dir.path() / "version", "2\n", 0644).ok());
  auto r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unsupported);
  EXPECT_NE(r.error().message.find("format version '2'"), std::string::npos) << r.error().message;
}

TEST(Repo, RefusesGroupReadableSecrets) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  fs::path key = dir.path() / "identity.key";
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  auto r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("mode 0640"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("chmod 600 " + key.string()), std::string::npos);
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  ASSERT_EQ(::chmod((dir.path() / "api.token").c_str(), 0604), 0);
  r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("api.token"), std::string::npos) << r.error().message;
}

TEST(Repo, CorruptTokenIsRefused) {
  TestDir dir;
  ASSERT_TRUE(init_repo(dir.path(), {}).ok());
  ASSERT_TRUE(write_file_atomic(dir.path() / "api.token", "short\n", 0600).ok());
  auto r = open_repo(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("api.token:1: expected 64 hex"), std::string::npos)
      << r.error().message;
}

TEST(Repo, DefaultPathHonoursEnvironment) {
  const char* old_path = std::getenv("AGORA_PATH");
  std::string saved = old_path ? old_path : "";
  ::setenv("AGORA_PATH", "/srv/agora-test", 1);
  auto p = default_repo_path();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, fs::path("/srv/agora-test"));
  ::unsetenv("AGORA_PATH");
  const char* home = std::getenv("HOME");
  p = default_repo_path();
  ASSERT_TRUE(p.ok());
  if (home != nullptr && *home != '\0') {
    EXPECT_EQ(*p, fs::path(home) / ".agora");
  }
  if (old_path != nullptr) ::setenv("AGORA_PATH", saved.c_str(), 1);
}

TEST(ApiFile, WriteReadRemove) {
  TestDir dir;
  EXPECT_EQ(read_api_file(dir.path()).error().code, Errc::not_found);
  ASSERT_TRUE(write_api_file(dir.path(), "http://127.0.0.1:5001").ok());
  auto url = read_api_file(dir.path());
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "http://127.0.0.1:5001");
  EXPECT_FALSE(write_api_file(dir.path(), "127.0.0.1:5001").ok());
  EXPECT_FALSE(write_api_file(dir.path(), "http://a b").ok());
  EXPECT_TRUE(remove_api_file(dir.path()).ok());
  EXPECT_TRUE(remove_api_file(dir.path()).ok());
  EXPECT_EQ(read_api_file(dir.path()).error().code, Errc::not_found);
}

}  // namespace
}  // namespace agora::store
