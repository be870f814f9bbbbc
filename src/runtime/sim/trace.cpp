#include "runtime/sim/trace.h"

#include <cerrno>
#include <cstring>

namespace agora::sim {

Trace::~Trace() {
  if (file_ != nullptr) std::fclose(file_);
}

Status Trace::open_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return make_error(Errc::io, "trace file " + path + ": " + std::strerror(errno));
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return {};
}

void Trace::flush() {
  if (buffer_.size() == 0) return;
  BytesView bytes(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size());
  hash_.update(bytes);
  if (file_ != nullptr) std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  buffer_.clear();
}

std::string Trace::finish() {
  flush();
  if (file_ != nullptr) std::fflush(file_);
  crypto::Sha256Digest digest = hash_.finish();
  return to_hex(BytesView(digest.data(), digest.size()));
}

}  // namespace agora::sim
