#include "app/cli/tar_gz_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace agora {

namespace {

constexpr size_t kBlockBytes = 512;
constexpr uint64_t kOctal11Max = (uint64_t(1) << 33) - 1;  // sizes and times: 11 octal digits

// An octal field of `width` bytes: width - 1 digits (zero-padded; the caller keeps the value in
// range), then a NUL.
void put_octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0; value >>= 3) field[i] = char('0' + (value & 7));
  field[width - 1] = '\0';
}

}  // namespace

Result<std::unique_ptr<TarGzWriter>> TarGzWriter::create(const std::filesystem::path& dest) {
  struct stat st;
  if (::lstat(dest.c_str(), &st) == 0)
    return make_error(Errc::exists, dest.string() + " already exists");
  std::filesystem::path dir = dest.has_parent_path() ? dest.parent_path() : ".";
  std::filesystem::path temp =
      dir / ("." + dest.filename().string() + ".partial-" + std::to_string(std::random_device{}()));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(Errc::io, dest.string() + ": create: " + std::strerror(errno));
  gzFile gz = ::gzdopen(fd, "wb6");
  if (gz == nullptr) {
    ::close(fd);
    ::unlink(temp.c_str());
    return make_error(Errc::io, dest.string() + ": cannot start gzip");
  }
  return std::unique_ptr<TarGzWriter>(new TarGzWriter(dest, temp, gz));
}

TarGzWriter::~TarGzWriter() {
  if (finished_) return;
  if (gz_ != nullptr) ::gzclose(static_cast<gzFile>(gz_));
  ::unlink(temp_.c_str());
}

Status TarGzWriter::write(const void* data, size_t bytes) {
  while (bytes > 0) {
    unsigned chunk = unsigned(std::min<size_t>(bytes, 1 << 30));
    int n = ::gzwrite(static_cast<gzFile>(gz_), data, chunk);
    if (n <= 0) {
      int zerr = 0;
      const char* why = ::gzerror(static_cast<gzFile>(gz_), &zerr);
      std::string text = zerr == Z_ERRNO ? std::strerror(errno) : std::string(why ? why : "?");
      return make_error(Errc::io, dest_.string() + ": write: " + text);
    }
    data = static_cast<const char*>(data) + n;
    bytes -= size_t(n);
  }
  return {};
}

Status TarGzWriter::add(std::string_view name, std::string_view content, std::time_t mtime) {
  if (name.empty() || name.size() > 100)
    return make_error(Errc::invalid_input,
                      "archive member name '" + std::string(name) + "' is empty or over 100 bytes");
  if (content.size() > kOctal11Max)
    return make_error(Errc::too_large, "archive member " + std::string(name) + " is over 8 GiB");
  std::array<char, kBlockBytes> header{};
  std::memcpy(header.data(), name.data(), name.size());  // name[100]
  put_octal(header.data() + 100, 8, 0644);               // mode
  put_octal(header.data() + 108, 8, 0);                  // uid
  put_octal(header.data() + 116, 8, 0);                  // gid
  put_octal(header.data() + 124, 12, content.size());    // size
  put_octal(header.data() + 136, 12, uint64_t(std::clamp<std::time_t>(mtime, 0, kOctal11Max)));
  header[156] = '0';                             // typeflag: a regular file
  std::memcpy(header.data() + 257, "ustar", 6);  // magic, NUL-terminated
  std::memcpy(header.data() + 263, "00", 2);     // version
  std::memset(header.data() + 148, ' ', 8);      // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  put_octal(header.data() + 148, 7, sum);  // six digits and a NUL, then a space
  header[155] = ' ';
  AGORA_TRY(write(header.data(), header.size()));
  AGORA_TRY(write(content.data(), content.size()));
  static const std::array<char, kBlockBytes> zeros{};
  size_t pad = (kBlockBytes - content.size() % kBlockBytes) % kBlockBytes;
  return write(zeros.data(), pad);
}

Status TarGzWriter::finish() {
  static const std::array<char, 2 * kBlockBytes> end{};
  AGORA_TRY(write(end.data(), end.size()));
  int rc = ::gzclose(static_cast<gzFile>(gz_));
  gz_ = nullptr;
  if (rc != Z_OK)
    return make_error(Errc::io, dest_.string() + ": close: gzip error " + std::to_string(rc));
  struct stat st;
  if (::lstat(dest_.c_str(), &st) == 0)
    return make_error(Errc::exists, dest_.string() + " already exists");
  if (::rename(temp_.c_str(), dest_.c_str()) != 0)
    return make_error(Errc::io, dest_.string() + ": rename: " + std::strerror(errno));
  finished_ = true;
  return {};
}

}  // namespace agora
