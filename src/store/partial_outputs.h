// Records of the export's hidden temporaries (`.<name>.agora-partial-<hex>`), one small file each
// under <repo>/partial-outputs/, so that outputs of an export the daemon did not live to finish
// (killed, power lost) are removed at its next start instead of staying in the destination
// directory for good.
//
// Contract: record_partial_output() is durable before the caller writes the temporary;
// forget_partial_output() follows the rename into place (or the removal on error).
// remove_partial_outputs() removes only paths that a record
// names, that are absolute and whose file name still carries the partial marker: never anything
// else, whatever the records say. Records are bounded by the exports in flight when the daemon
// died; each is at most kPartialRecordBytesMax.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace agora::store {

inline constexpr const char* kPartialOutputsDir = "partial-outputs";  // <repo>/partial-outputs
inline constexpr const char* kPartialMarker = ".agora-partial-";      // in every temporary's name
inline constexpr size_t kPartialRecordBytesMax = 8192;

// Where an export writes before the rename: `.<dest name>.agora-partial-<12 random hex>` next to
// `dest`.
std::filesystem::path partial_output_path(const std::filesystem::path& dest);

// Records `partial` (an absolute path) under <repo>/partial-outputs; returns the record's path.
Result<std::filesystem::path> record_partial_output(const std::filesystem::path& repo,
                                                    const std::filesystem::path& partial);
// Drops the record once the temporary is gone (renamed into place or removed).
Status forget_partial_output(const std::filesystem::path& record);

struct LeftoverPartial {
  std::filesystem::path path;  // what the record named
  bool removed = false;        // it existed and was removed
  std::string error;           // why it was not removed (refused name, I/O error); empty if fine
};

// At start-up, with no export running: removes every recorded temporary that still exists, then
// its record. Reports each record read.
// `before_remove` (optional) sees each recorded temporary that exists just before it is removed
// (a download's leftover: what was verified in it can be kept).
Result<std::vector<LeftoverPartial>> remove_partial_outputs(
    const std::filesystem::path& repo,
    const std::function<void(const std::filesystem::path&)>& before_remove = {});

}  // namespace agora::store
