// Helpers shared by the unixfs tests.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "codec/dag_pb.h"
#include "codec/unixfs_pb.h"
#include "crypto/sha256.h"
#include "unixfs/block_sink.h"
#include "unixfs/exporter.h"
#include "unixfs/file_importer.h"

namespace agora::unixfs::testing {

// Bytes i % 251: the notes' pattern vector.
inline Bytes pattern_bytes(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i % 251);
  return b;
}

// det(n, seed) of js-ipfs-unixfs test/helpers/deterministic.ts: the first n bytes of the ChaCha20
// keystream with key sha256(seed), a zero 12-byte nonce and block counter 0.
inline Bytes det_bytes(size_t n, std::string_view seed) {
  auto key = crypto::sha256(as_bytes(seed));
  uint8_t iv[16] = {};  // OpenSSL's ChaCha20 IV: 32-bit counter then 96-bit nonce
  Bytes zeros(n, 0), out(n + 64);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(ctx, EVP_chacha20(), nullptr, key.data(), iv);
  EVP_EncryptUpdate(ctx, out.data(), &len, zeros.data(), int(n));
  EVP_CIPHER_CTX_free(ctx);
  out.resize(n);
  return out;
}

inline Bytes random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

inline Result<ImportedNode> import_bytes(BytesView data, const Profile& profile, BlockSink& sink,
                                         FileMeta meta = {}, size_t write_bytes = 100000) {
  FileImporter f(profile, sink, meta);
  for (size_t pos = 0; pos < data.size(); pos += write_bytes)
    AGORA_TRY(f.write(data.subspan(pos, std::min(write_bytes, data.size() - pos))));
  return f.finish();
}

inline Result<Bytes> read_all(BlockSource& source, const Cid& cid, uint64_t offset = 0,
                              std::optional<uint64_t> length = {}) {
  Bytes out;
  AGORA_TRY(read_file(
      source, cid,
      [&](BytesView b) {
        append(out, b);
        return Status{};
      },
      offset, length));
  return out;
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agora-unixfs-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A dag-pb node put under its true CIDv1 (a failed put fails the test).
inline Cid put_node(MemoryBlocks& blocks, const UnixfsData& data, std::vector<PbLink> links = {}) {
  PbNode node{std::move(links), encode_unixfs_data(data)};
  Bytes block = encode_dag_pb(node);
  Cid cid = Cid::of(block, kCodecDagPb);
  EXPECT_TRUE(blocks.put(cid, std::move(block)).ok());
  return cid;
}

inline void write_file(const std::filesystem::path& p, BytesView data) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

inline Bytes read_disk_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

}  // namespace agora::unixfs::testing
