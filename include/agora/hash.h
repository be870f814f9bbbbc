// Content ids without a node or a repo (agora add --only-hash): the same importer as Node's add,
// with every block discarded once hashed.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "agora/content_types.h"
#include "agora/result.h"

namespace agora {

// A file or tree; `profile` is a UnixFS profile name; `preserve_mode` keeps permission bits in
// UnixFS mode (as `add --preserve-mode`). Errc::invalid_input for a directory without `recursive`.
// `entry` hears of each entry below a directory, as Node::add_path's.
Result<AddResult> hash_path(const std::filesystem::path& path, std::string_view profile,
                            bool recursive, bool preserve_mode = false,
                            const AddEntryFn& entry = {});

// One file whose bytes arrive in pieces (stdin).
class FileHasher {
 public:
  static Result<std::unique_ptr<FileHasher>> open(std::string_view profile);
  virtual ~FileHasher() = default;
  virtual Status write(std::span<const uint8_t> chunk) = 0;
  virtual Result<AddResult> finish() = 0;
};

}  // namespace agora
