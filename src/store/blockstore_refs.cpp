// Reading blocks through file references (store/file_refs.h): re-hashed, since the file belongs
// to the user and may have changed since it was referenced; only the serving path (get_checked)
// skips the hash of a file whose stamp is unchanged since it was hashed (store/hashed_stamps.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/blockstore.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string file_text(const FileRef& ref) { return "file " + ref.path.string(); }

// The reference cannot be read now, for a reason that may pass: it is kept.
Error transient(int err, const char* doing, const FileRef& ref, const std::string& what) {
  return make_error(Errc::io, std::string(std::strerror(err)) + " while " + doing + " " +
                                  file_text(ref) + " for block " + what + " (offset " +
                                  std::to_string(ref.offset) + ")");
}

// Fills `data` from `fd` at the reference's offset; returns the bytes read (short at EOF).
Result<size_t> read_at(int fd, const FileRef& ref, Bytes& data, const std::string& what) {
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(fd, data.data() + got, data.size() - got, off_t(ref.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return transient(errno, "reading", ref, what);
    if (n == 0) break;
    got += size_t(n);
  }
  return got;
}

}  // namespace

Result<Blockstore::RefRead> Blockstore::read_ref(const Multihash& hash, const FileRef& ref,
                                                 const std::string& what, bool trust_stamp) const {
  RefRead out;
  std::string at = " at offset " + std::to_string(ref.offset);
  if (ref.length > config_.block_bytes_max || ref.length == 0) {
    out.broken = "the reference to " + file_text(ref) + at + " for block " + what + " claims " +
                 std::to_string(ref.length) + " bytes (1 to " +
                 std::to_string(config_.block_bytes_max) + " allowed)";
    return out;
  }
  // O_NOFOLLOW: a file swapped for a symlink is not the file that was referenced. O_NONBLOCK: a
  // fifo put in its place must not block the read.
  Fd fd(::open(ref.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    int err = errno;
    if (err != ENOENT && err != ENOTDIR && err != ELOOP)
      return transient(err, "opening", ref, what);
    out.broken = file_text(ref) + " is gone (" + std::strerror(err) + "): block " + what + at +
                 " can no longer be read";
    return out;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return transient(errno, "examining", ref, what);
  if (!S_ISREG(st.st_mode)) {
    out.broken = file_text(ref) + " is no longer a regular file: block " + what + at +
                 " can no longer be read";
    return out;
  }
  Bytes data(ref.length);
  AGORA_ASSIGN(size_t got, read_at(fd.get(), ref, data, what));
  if (got < data.size()) {
    out.broken = file_text(ref) + " ends before offset " + std::to_string(ref.offset + ref.length) +
                 ": block " + what + at + " no longer matches (the file was truncated)";
    return out;
  }
  // Stamped before the read: a change during it shows as a new stamp next time.
  bool good = trust_stamp
                  ? hashed_.verify(hash, file_stamp(st, ref.offset), data,
                                   /*store_wrote_it=*/false, HashedStamps::Clock::now())
                  : hash.code == kMhSha2_256 && multihash_sha2_256(data).digest == hash.digest;
  if (!good) {
    if (!trust_stamp) hashed_.forget(hash);
    out.broken = file_text(ref) + " changed" + at + ": block " + what + " no longer matches";
    return out;
  }
  out.data = std::move(data);
  return out;
}

Result<Bytes> Blockstore::read_referenced(const Multihash& hash, const std::string& what,
                                          Error absent) const {
  auto ref = file_refs_->find(hash);
  if (!ref.ok()) return make_error(Errc::io, "block " + what + ": " + ref.error().message);
  if (!*ref) return absent;
  AGORA_ASSIGN(RefRead read, read_ref(hash, **ref, what));
  if (!read.broken.empty())
    return make_error(Errc::io, read.broken + " (`repo verify` drops the reference)");
  return std::move(read.data);
}

Result<Blockstore::CheckedBlock> Blockstore::get_checked_referenced(const Multihash& hash,
                                                                    const std::string& what,
                                                                    Error absent) const {
  auto ref = file_refs_->find(hash);
  CheckedBlock out;
  out.referenced = true;
  if (!ref.ok()) {
    if (ref.error().code != Errc::invalid_input) return ref.error();  // the database failed
    out.corrupt = true;
    out.problem = "block " + what + ": " + ref.error().message;
    return out;
  }
  if (!*ref) return absent;
  AGORA_ASSIGN(RefRead read, read_ref(hash, **ref, what, /*trust_stamp=*/true));
  out.ref = std::move(*ref);
  out.corrupt = !read.broken.empty();
  out.problem = std::move(read.broken);
  out.data = std::move(read.data);
  return out;
}

Result<bool> Blockstore::drop_ref(const Multihash& hash, const std::optional<FileRef>& seen) {
  if (file_refs_ == nullptr) return false;
  hashed_.forget(hash);
  if (seen) return file_refs_->remove_if_same(hash, *seen);
  AGORA_TRY(file_refs_->remove(hash));
  return true;
}

Status Blockstore::for_each_ref(
    const std::function<Status(const FileRefEntry& entry)>& visit) const {
  if (file_refs_ == nullptr) return {};
  return file_refs_->for_each(visit);
}

}  // namespace agora::store
