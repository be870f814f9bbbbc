// Fuzzes the repo's text files: config.toml (parse -> render -> parse must give the same Config)
// and identity.key (a key that decodes must re-encode and decode to the same seed).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/config.h"
#include "store/identity_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto key = agora::store::decode_identity_key_file(text, "identity.key");
    if (!key.ok()) return 0;
    auto again = agora::store::decode_identity_key_file(
        agora::store::encode_identity_key_file(*key), "identity.key");
    if (!again.ok() || again->seed() != key->seed()) std::abort();
    return 0;
  }
  auto config = agora::store::parse_config(text, "config.toml");
  if (!config.ok()) {
    if (!config.error().message.starts_with("config.toml")) std::abort();  // errors name the file
    return 0;
  }
  auto rendered = agora::store::render_default_config(*config);
  auto back = agora::store::parse_config(rendered, "config.toml");
  if (!back.ok() || !(*back == *config)) std::abort();
  return 0;
}
