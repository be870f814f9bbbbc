// The importer's entries (unixfs::ImportedEntry) as the public AddEntry, for Node::add_path and
// hash_path alike.
#pragma once

#include "agora/content_types.h"
#include "unixfs/import_path.h"

namespace agora {

inline AddEntry add_entry_of(const unixfs::ImportedEntry& e) {
  const char* type = e.kind == unixfs::EntryKind::file      ? "file"
                     : e.kind == unixfs::EntryKind::symlink ? "symlink"
                                                            : "directory";
  return {std::string(e.relative_path), e.node.cid.to_string(), e.node.size, type};
}

// The importer's hook calling `entry` (which must outlive the import); none when it is empty.
inline unixfs::EntryFn entry_hook(const AddEntryFn& entry) {
  if (!entry) return {};
  return [&entry](const unixfs::ImportedEntry& e) { entry(add_entry_of(e)); };
}

}  // namespace agora
