// The daemon's advertised API address.
#include "store/api_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/file_util.h"

namespace agora::store {
namespace {

constexpr size_t kApiFileBytesMax = 4096;

bool valid_url(std::string_view url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) return false;
  for (char c : url) {
    if (c <= ' ' || c == 0x7f) return false;  // one token, no whitespace or control bytes
  }
  return true;
}

}  // namespace

Status write_api_file(const std::filesystem::path& root, std::string_view url) {
  if (!valid_url(url) || url.size() > kApiFileBytesMax / 2) {
    return make_error(Errc::invalid_input, "not an http(s) URL: '" + std::string(url) + "'");
  }
  return write_file_atomic(root / kApiFile, std::string(url) + "\n", 0600);
}

Result<std::string> read_api_file(const std::filesystem::path& root) {
  std::filesystem::path path = root / kApiFile;
  AGORA_ASSIGN(std::string text, read_file(path, kApiFileBytesMax));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!valid_url(text)) {
    return make_error(Errc::invalid_input, path.string() + ":1: not an http(s) URL");
  }
  return text;
}

Status remove_api_file(const std::filesystem::path& root) {
  std::filesystem::path path = root / kApiFile;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return make_error(Errc::io, path.string() + ": unlink: " + std::strerror(errno));
  }
  return {};
}

}  // namespace agora::store
