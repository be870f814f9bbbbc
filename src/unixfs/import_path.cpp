#include "unixfs/import_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "unixfs/directory_builder.h"
#include "unixfs/file_importer.h"

namespace agora::unixfs {

namespace {

constexpr size_t kReadBytes = 256 * 1024;

Error path_error(Errc code, const std::filesystem::path& path, const std::string& what) {
  return make_error(code, path.string() + ": " + what);
}

Error os_error(const std::filesystem::path& path, const char* op) {
  return path_error(Errc::io, path, std::string(op) + ": " + std::strerror(errno));
}

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

struct Imported {
  ImportedNode node;
  EntryKind kind;
};

class TreeImporter {
 public:
  TreeImporter(const ImportOptions& options, BlockSink& sink, ProgressFn& progress, EntryFn& entry)
      : options_(options), sink_(sink), progress_(progress), entry_(entry) {}

  // `relative`: the path's names below the root ("" for the root).
  Result<Imported> import_any(const std::filesystem::path& path, const std::string& relative,
                              size_t depth) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return os_error(path, "lstat");
    FileMeta meta = meta_of(st);
    if (S_ISLNK(st.st_mode)) return import_symlink(path, meta);
    if (S_ISREG(st.st_mode)) return import_file(path, meta);
    if (S_ISDIR(st.st_mode)) return import_directory(path, relative, meta, depth);
    return path_error(Errc::unsupported, path, "not a regular file, directory or symlink");
  }

 private:
  FileMeta meta_of(const struct stat& st) const {
    FileMeta meta;
    if (options_.preserve_mode) meta.mode = uint32_t(st.st_mode & 07777);
    if (options_.preserve_mtime) {
      UnixTime t{int64_t(st.st_mtim.tv_sec), std::nullopt};
      if (st.st_mtim.tv_nsec != 0) t.nanos = uint32_t(st.st_mtim.tv_nsec);
      meta.mtime = t;
    }
    return meta;
  }

  Result<Imported> import_symlink(const std::filesystem::path& path, const FileMeta& meta) {
    std::error_code ec;
    std::filesystem::path target = std::filesystem::read_symlink(path, ec);
    if (ec) return path_error(Errc::io, path, "readlink: " + ec.message());
    auto node = write_symlink(options_.profile, target.string(), meta, sink_);
    if (!node.ok()) return path_error(node.error().code, path, node.error().message);
    return Imported{*node, EntryKind::symlink};
  }

  Result<Imported> import_file(const std::filesystem::path& path, const FileMeta& meta) {
    // O_NOFOLLOW: if the path was swapped for a symlink since lstat, refuse rather than follow.
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return os_error(path, "open");
    if (auto s = sink_.begin_file(path); !s.ok())
      return path_error(s.error().code, path, s.error().message);
    FileImporter file(options_.profile, sink_, meta);
    buffer_.resize(kReadBytes);
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer_.data(), buffer_.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error(path, "read");
      }
      if (n == 0) break;
      if (auto s = file.write(BytesView(buffer_.data(), size_t(n))); !s.ok())
        return path_error(s.error().code, path, s.error().message);
      bytes_read_ += uint64_t(n);
      if (progress_) progress_(bytes_read_);
    }
    auto node = file.finish();
    if (!node.ok()) return path_error(node.error().code, path, node.error().message);
    return Imported{*node, EntryKind::file};
  }

  Result<Imported> import_directory(const std::filesystem::path& path, const std::string& relative,
                                    const FileMeta& meta, size_t depth) {
    if (depth > options_.depth_max)
      return path_error(
          Errc::too_large, path,
          "nested deeper than " + std::to_string(options_.depth_max) + " directories");
    AGORA_ASSIGN(std::vector<std::string> names, list_names(path));
    DirectoryBuilder dir(options_.profile, meta);
    for (const std::string& name : names) {
      std::filesystem::path child_path = path / name;
      std::string child_relative = relative.empty() ? name : relative + "/" + name;
      AGORA_ASSIGN(Imported child, import_any(child_path, child_relative, depth + 1));
      if (auto s = dir.add(name, child.node, child.kind); !s.ok())
        return path_error(s.error().code, child_path, s.error().message);
      if (entry_) entry_({child_relative, child.node, child.kind});
    }
    EntryKind kind = dir.entries() == 0 ? EntryKind::empty_directory : EntryKind::directory;
    auto node = dir.finish(sink_);
    if (!node.ok()) return path_error(node.error().code, path, node.error().message);
    return Imported{*node, kind};
  }

  // Sorted, so blocks are written in the same order on every run.
  Result<std::vector<std::string>> list_names(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::directory_iterator it(path, ec), end;
    if (ec) return path_error(Errc::io, path, "opendir: " + ec.message());
    std::vector<std::string> names;
    for (; it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (options_.skip_hidden && !name.empty() && name[0] == '.') continue;
      if (names.size() >= kDirectoryEntriesMax)
        return path_error(Errc::too_large, path,
                          "more than " + std::to_string(kDirectoryEntriesMax) + " entries");
      names.push_back(std::move(name));
    }
    if (ec) return path_error(Errc::io, path, "readdir: " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
  }

  const ImportOptions& options_;
  BlockSink& sink_;
  ProgressFn& progress_;
  EntryFn& entry_;
  Bytes buffer_;
  uint64_t bytes_read_ = 0;
};

}  // namespace

Result<ImportedNode> import_path(const std::filesystem::path& path, const ImportOptions& options,
                                 BlockSink& sink, ProgressFn progress, EntryFn entry) {
  AGORA_TRY(validate_profile(options.profile));
  TreeImporter importer(options, sink, progress, entry);
  AGORA_ASSIGN(auto imported, importer.import_any(path, "", 0));
  return imported.node;
}

}  // namespace agora::unixfs
