#include "store/swarm_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/file_util.h"
#include "store/repo.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

const std::string kHex = "6189c5cf0b87fb800c1a9feeda73c6ab5e998db48fb9e6a978575c770ceef683";
const std::string kKubo = "/key/swarm/psk/1.0.0/\n/base16/\n" + kHex + "\n";

pnet::PreSharedKey expected() {
  pnet::PreSharedKey k;
  Bytes b = from_hex(kHex).value();
  std::copy(b.begin(), b.end(), k.bytes.begin());
  return k;
}

TEST(SwarmKey, KuboFileRoundTrips) {
  auto k = decode_swarm_key_file(kKubo, "swarm.key");
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(*k, expected());
  EXPECT_EQ(encode_swarm_key_file(*k), kKubo);
  EXPECT_EQ(pnet::fingerprint(*k), "45fc986bbc9388a11d939df26f730f0c");
}

// js-libp2p's generateKey writes no final newline; Windows editors write \r\n; hex in upper case.
TEST(SwarmKey, AcceptsVariantsOfTheBase16Form) {
  for (std::string text : {"/key/swarm/psk/1.0.0/\n/base16/\n" + kHex,
                           "/key/swarm/psk/1.0.0/\r\n/base16/\r\n" + kHex + "\r\n",
                           "/key/swarm/psk/1.0.0/\n/base16/\n" + kHex + "  \n\n"}) {
    auto k = decode_swarm_key_file(text, "k");
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(*k, expected());
  }
  std::string upper = kHex;
  for (char& c : upper) c = char(std::toupper(c));
  auto k = decode_swarm_key_file("/key/swarm/psk/1.0.0/\n/base16/\n" + upper + "\n", "k");
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(*k, expected());
}

TEST(SwarmKey, AcceptsBase64AndBin) {
  // base64 of the key above (standard alphabet).
  auto b64 = decode_swarm_key_file(
      "/key/swarm/psk/1.0.0/\n/base64/\nYYnFzwuH+4AMGp/u2nPGq16ZjbSPueapeFdcdwzu9oM=\n", "k");
  ASSERT_TRUE(b64.ok()) << b64.error().message;
  EXPECT_EQ(*b64, expected());
  const pnet::PreSharedKey key = expected();
  std::string raw(key.bytes.begin(), key.bytes.end());
  for (std::string tail : {"", "\n"}) {
    auto bin = decode_swarm_key_file("/key/swarm/psk/1.0.0/\n/bin/\n" + raw + tail, "k");
    ASSERT_TRUE(bin.ok()) << bin.error().message;
    EXPECT_EQ(*bin, expected());
  }
}

void expect_error(const std::string& text, const std::string& where, const std::string& what,
                  Errc code = Errc::invalid_input) {
  auto k = decode_swarm_key_file(text, "/r/swarm.key");
  ASSERT_FALSE(k.ok()) << "accepted: " << text;
  EXPECT_EQ(k.error().code, code) << k.error().message;
  EXPECT_TRUE(k.error().message.starts_with("/r/swarm.key:" + where + ": ")) << k.error().message;
  EXPECT_NE(k.error().message.find(what), std::string::npos) << k.error().message;
}

TEST(SwarmKey, MalformedFilesNameTheLine) {
  const std::string h = "/key/swarm/psk/1.0.0/\n";
  expect_error("", "1", "empty");
  expect_error("/key/swarm/psk/2.0.0/\n/base16/\n" + kHex, "1", "expected '/key/swarm/psk/1.0.0/'");
  expect_error(std::string("\x00\xff\x01", 3), "1", "not a libp2p swarm key");
  expect_error("/key/swarm/psk/1.0.0/", "2", "ends before the encoding line");
  expect_error(h + "/base32/\n" + kHex, "2", "unknown key encoding", Errc::unsupported);
  expect_error(h + "/base16/\n", "3", "found 0");
  expect_error(h + "/base16/\n" + kHex.substr(2), "3", "found 62");
  expect_error(h + "/base16/\n" + kHex + "00", "3", "found 66");
  expect_error(h + "/base16/\n" + kHex.substr(1) + "g", "3", "not valid hex");
  expect_error(h + "/base16/\n" + kHex + "\n\nextra", "5", "unexpected text after the key");
  expect_error(h + "/base64/\nYYnFzwuH+4AMGp/u2nPGq16ZjbSPueapeFdcdwzu9oM\x01\n", "3",
               "not valid base64");
  expect_error(h + "/base64/\nYWJj\n", "3", "decodes to 3 bytes");
  expect_error(h + "/bin/\nshort", "3", "found 5");
  expect_error(h + "/bin/\n" + std::string(40, 'x'), "3", "found 40");
}

// Every prefix of a valid file is either an error or, for none of them, a crash.
TEST(SwarmKey, TruncationsAreErrorsNeverCrashes) {
  for (size_t n = 0; n < kKubo.size() - 1; ++n) {
    auto k = decode_swarm_key_file(kKubo.substr(0, n), "k");
    EXPECT_FALSE(k.ok()) << n;
  }
}

TEST(SwarmKey, LoadFromRepo) {
  TestDir dir;
  auto none = load_swarm_key(dir.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  fs::path path = dir.path() / kSwarmKeyFile;
  ASSERT_TRUE(write_file_atomic(path, kKubo, 0600).ok());
  auto some = load_swarm_key(dir.path());
  ASSERT_TRUE(some.ok()) << some.error().message;
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ(**some, expected());

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto open = load_swarm_key(dir.path());
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos) << open.error().message;

  ASSERT_TRUE(write_file_atomic(path, "/key/swarm/psk/1.0.0/\n/base16/\nzz\n", 0600).ok());
  auto bad = load_swarm_key(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().message.starts_with(path.string() + ":3: ")) << bad.error().message;
}

TEST(SwarmKey, InitWritesTheKeyPrivateAndOpenReadsIt) {
  TestDir dir;
  fs::path root = dir.path() / "repo";
  InitOptions options;
  options.swarm_key = generate_swarm_key();
  ASSERT_TRUE(init_repo(root, options).ok());
  struct stat st {};
  ASSERT_EQ(::stat((root / kSwarmKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto repo = open_repo(root);
  ASSERT_TRUE(repo.ok()) << repo.error().message;
  ASSERT_TRUE(repo->swarm_key.has_value());
  EXPECT_EQ(*repo->swarm_key, *options.swarm_key);

  fs::path public_root = dir.path() / "public";
  ASSERT_TRUE(init_repo(public_root, InitOptions{}).ok());
  auto pub = open_repo(public_root);
  ASSERT_TRUE(pub.ok());
  EXPECT_FALSE(pub->swarm_key.has_value());
  EXPECT_FALSE(fs::exists(public_root / kSwarmKeyFile));
}

TEST(SwarmKey, GeneratedKeysDiffer) { EXPECT_NE(generate_swarm_key(), generate_swarm_key()); }

}  // namespace
}  // namespace agora::store
