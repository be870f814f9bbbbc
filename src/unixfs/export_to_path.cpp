#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "unixfs/entry_name.h"
#include "unixfs/export_node.h"

namespace agora::unixfs {

namespace {

// Longest symlink target we write (PATH_MAX on Linux).
constexpr size_t kSymlinkTargetBytesMax = 4096;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Error os_error(const std::string& path, const char* op) {
  return make_error(Errc::io, path + ": " + op + ": " + std::strerror(errno));
}

Status write_all(int fd, BytesView data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error(path, "write");
    }
    data = data.subspan(size_t(n));
  }
  return {};
}

// Bytes an export may write: the smaller of output_bytes_max and the free space less the margin.
struct OutputBudget {
  uint64_t bytes = 0;
  std::string limit;  // names the limit that binds, for errors
};

Result<OutputBudget> output_budget(const std::filesystem::path& dir, const ExportLimits& limits) {
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0) return os_error(dir.string(), "statvfs");
  uint64_t free_bytes = uint64_t(vfs.f_bavail) * uint64_t(vfs.f_frsize);
  uint64_t margin = limits.disk_free_margin_bytes;
  uint64_t usable = free_bytes > margin ? free_bytes - margin : 0;
  if (limits.output_bytes_max <= usable)
    return OutputBudget{
        limits.output_bytes_max,
        "the size limit of " + std::to_string(limits.output_bytes_max) + " bytes (--max-size)"};
  return OutputBudget{usable, "the free space of " + dir.string() + " (" +
                                  std::to_string(free_bytes) + " bytes free, less a margin of " +
                                  std::to_string(margin) + ")"};
}

// Every entry is created relative to its parent directory's handle with "must not exist"
// semantics (O_EXCL, mkdirat, symlinkat) and directories are opened with O_NOFOLLOW, so a symlink
// in the tree can never redirect a later write, whatever the names and targets say.
class TreeExporter {
 public:
  TreeExporter(BlockSource& source, const ExportLimits& limits, OutputBudget budget,
               const WrittenBytesFn& written)
      : source_(source),
        limits_(limits),
        entries_left_(limits.entries_max),
        bytes_left_(budget.bytes),
        budget_(std::move(budget)),
        written_(written) {}

  Status export_entry(int dir_fd, const std::string& name, const Cid& cid, const std::string& path,
                      size_t depth) {
    AGORA_ASSIGN(LoadedNode node, load_node(source_, cid, limits_));
    switch (node.type) {
      case NodeType::file:
      case NodeType::raw:
        return write_file(dir_fd, name, node, path);
      case NodeType::symlink:
        return write_symlink(dir_fd, name, node, path);
      case NodeType::directory:
        return write_directory(dir_fd, name, node, path, depth);
    }
    return make_error(Errc::internal, path + ": unknown node type");
  }

 private:
  Status write_file(int dir_fd, const std::string& name, const LoadedNode& node,
                    const std::string& path) {
    Fd fd(
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.get() < 0) return os_error(path, "create");
    std::function<Status(BytesView)> out = [&](BytesView data) -> Status {
      AGORA_TRY(spend(data.size(), path));
      AGORA_TRY(write_all(fd.get(), data, path));
      count_written(data.size());
      return {};
    };
    Status s = read_loaded_file(source_, node, out, 0, {}, limits_);
    if (s.ok() && ::close(fd.release()) != 0) s = os_error(path, "close");
    if (!s.ok()) ::unlinkat(dir_fd, name.c_str(), 0);  // no half-written files left behind
    return s;
  }

  Status write_symlink(int dir_fd, const std::string& name, const LoadedNode& node,
                       const std::string& path) {
    const Bytes& target = node.unixfs.data;
    std::string_view text = as_chars(target);
    if (text.empty() || text.size() > kSymlinkTargetBytesMax ||
        text.find('\0') != std::string_view::npos)
      return node_error(Errc::invalid_input, node.cid,
                        "symlink target is empty, too long or "
                        "contains NUL");
    AGORA_TRY(spend(text.size(), path));
    if (::symlinkat(std::string(text).c_str(), dir_fd, name.c_str()) != 0)
      return os_error(path, "symlink");
    count_written(text.size());
    return {};
  }

  Status write_directory(int dir_fd, const std::string& name, const LoadedNode& node,
                         const std::string& path, size_t depth) {
    if (depth > limits_.path_depth_max)
      return make_error(Errc::too_large, path + ": directories nested deeper than " +
                                             std::to_string(limits_.path_depth_max));
    AGORA_ASSIGN(std::vector<DirEntry> entries,
                 directory_entries(source_, node, limits_, entries_left_));
    if (::mkdirat(dir_fd, name.c_str(), 0755) != 0) return os_error(path, "mkdir");
    Fd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub.get() < 0) return os_error(path, "open directory");
    for (const DirEntry& e : entries)
      AGORA_TRY(export_entry(sub.get(), e.name, e.cid, path + "/" + e.name, depth + 1));
    return {};
  }

  // Counts bytes about to be written: the declared size was checked, but directory sizes may lie.
  Status spend(uint64_t bytes, const std::string& path) {
    if (bytes > bytes_left_)
      return make_error(Errc::too_large, path + ": the export outgrew " + budget_.limit +
                                             ": the DAG holds more than it declared");
    bytes_left_ -= bytes;
    return {};
  }

  void count_written(uint64_t bytes) {
    written_bytes_ += bytes;
    if (written_) written_(written_bytes_);
  }

  BlockSource& source_;
  const ExportLimits& limits_;
  size_t entries_left_;
  uint64_t bytes_left_;
  OutputBudget budget_;
  const WrittenBytesFn& written_;
  uint64_t written_bytes_ = 0;
};

}  // namespace

Status export_to_path(BlockSource& source, const Cid& cid, const std::filesystem::path& dest,
                      const ExportLimits& limits, const WrittenBytesFn& written) {
  std::filesystem::path target = dest.lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "out/" names "out"
  std::string name = target.filename().string();
  if (auto s = check_entry_name(name); !s.ok())
    return make_error(Errc::invalid_input, dest.string() + ": destination " + s.error().message);
  std::filesystem::path parent = target.has_parent_path() ? target.parent_path() : ".";
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0)
    return make_error(Errc::exists, dest.string() + ": already exists");
  Fd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd.get() < 0) return os_error(parent.string(), "open");
  // Refused before anything is written when the DAG says it is too big.
  AGORA_ASSIGN(uint64_t declared, declared_bytes(source, cid, limits));
  AGORA_ASSIGN(OutputBudget budget, output_budget(parent, limits));
  if (declared > budget.bytes)
    return make_error(Errc::too_large, dest.string() + ": " + cid.to_string() + " declares " +
                                           std::to_string(declared) + " bytes, over " +
                                           budget.limit + "; nothing written");
  TreeExporter exporter(source, limits, std::move(budget), written);
  return exporter.export_entry(parent_fd.get(), name, cid, target.string(), 0);
}

}  // namespace agora::unixfs
