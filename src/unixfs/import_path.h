// Imports a file, a symlink or a whole directory tree from the local filesystem. Symlinks are
// stored as symlinks, never followed. Files are read in chunks, never whole.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "unixfs/block_sink.h"
#include "unixfs/directory_builder.h"
#include "unixfs/import_types.h"
#include "unixfs/profile.h"

namespace agora::unixfs {

inline constexpr size_t kImportDepthMax = 256;  // directory nesting below the root

struct ImportOptions {
  Profile profile = profile_unixfs_v1_2025();
  // Off by default, as in js and kubo: metadata changes CIDs.
  bool preserve_mode = false;   // permission bits (07777)
  bool preserve_mtime = false;  // seconds, plus nanoseconds when not zero
  // kubo and Helia's globSource skip dot files unless asked; we import what we are pointed at.
  bool skip_hidden = false;
  size_t depth_max = kImportDepthMax;
};

// Called with the file bytes read so far, after each read.
using ProgressFn = std::function<void(uint64_t bytes_read)>;

// An entry below the imported root, once its node is complete: a directory's entries come before
// it, in name order. The root is import_path's result, not an entry.
struct ImportedEntry {
  std::string_view relative_path;  // '/'-separated names from the root down
  const ImportedNode& node;
  EntryKind kind;
};
using EntryFn = std::function<void(const ImportedEntry&)>;

// Errors name the path: Errc::io for what the OS refused, Errc::unsupported for devices, fifos
// and sockets, Errc::invalid_input for names that are not UTF-8, Errc::too_large past depth_max.
// `entry` is called for each entry as it is imported (nothing is collected for it).
Result<ImportedNode> import_path(const std::filesystem::path& path, const ImportOptions& options,
                                 BlockSink& sink, ProgressFn progress = {}, EntryFn entry = {});

}  // namespace agora::unixfs
