#include "store/block_key.h"

#include "codec/multibase.h"

namespace agora::store {
namespace {

constexpr char kBase32Upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return 26 + (c - '2');
  return -1;
}

}  // namespace

std::string block_key(const Multihash& hash) {
  std::string key = base32_encode(encode_multihash(hash));
  for (char& c : key)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return key;
}

std::string_view block_shard(std::string_view key) { return key.substr(key.size() - 3, 2); }

int shard_index(std::string_view shard) {
  if (shard.size() != 2) return -1;
  int hi = base32_index(shard[0]);
  int lo = base32_index(shard[1]);
  if (hi < 0 || lo < 0) return -1;
  return hi * 32 + lo;
}

std::string shard_name(size_t index) {
  return {kBase32Upper[(index / 32) % 32], kBase32Upper[index % 32]};
}

std::filesystem::path block_relative_path(const Multihash& hash) {
  std::string key = block_key(hash);
  std::filesystem::path p(std::string(block_shard(key)));
  return p / (key + std::string(kBlockFileSuffix));
}

Result<Multihash> parse_block_file_name(std::string_view file_name) {
  auto bad = [&](std::string why) {
    return make_error(Errc::invalid_input,
                      "'" + std::string(file_name) + "' is not a block file name: " + why);
  };
  if (file_name.size() <= kBlockFileSuffix.size() || !file_name.ends_with(kBlockFileSuffix))
    return bad("no .data suffix");
  std::string_view key = file_name.substr(0, file_name.size() - kBlockFileSuffix.size());
  for (char c : key)
    if (base32_index(c) < 0) return bad("not upper-case base32");
  auto raw = base32_decode(key);
  if (!raw.ok()) return bad(raw.error().message);
  auto hash = decode_multihash(*raw);
  if (!hash.ok()) return bad(hash.error().message);
  if (hash->code == kMhIdentity) return bad("identity blocks are never stored");
  if (key.size() < 3 || block_key(*hash) != key) return bad("not the canonical key");
  return std::move(hash).value();
}

}  // namespace agora::store
