// include/agora/hash.h: the UnixFS importer over a sink that keeps nothing.
#include "agora/hash.h"

#include "public/add_entry.h"
#include "unixfs/block_sink.h"
#include "unixfs/file_importer.h"
#include "unixfs/import_path.h"
#include "unixfs/profile.h"

namespace agora {

namespace {

AddResult added(const unixfs::ImportedNode& n) { return {n.cid.to_string(), n.size, n.tsize}; }

class DiscardingHasher : public FileHasher {
 public:
  explicit DiscardingHasher(const unixfs::Profile& profile) : importer_(profile, sink_) {}
  Status write(std::span<const uint8_t> chunk) override { return importer_.write(chunk); }
  Result<AddResult> finish() override {
    AGORA_ASSIGN(unixfs::ImportedNode root, importer_.finish());
    return added(root);
  }

 private:
  DiscardBlocks sink_;  // declared before the importer, which holds a reference to it
  unixfs::FileImporter importer_;
};

}  // namespace

Result<AddResult> hash_path(const std::filesystem::path& path, std::string_view profile,
                            bool recursive, bool preserve_mode, const AddEntryFn& entry) {
  AGORA_ASSIGN(unixfs::Profile p, unixfs::profile_by_name(profile));
  if (std::filesystem::is_directory(path) && !recursive)
    return make_error(Errc::invalid_input, path.string() + " is a directory (use -r)");
  unixfs::ImportOptions options;
  options.profile = p;
  options.preserve_mode = preserve_mode;
  DiscardBlocks sink;
  AGORA_ASSIGN(unixfs::ImportedNode root,
               unixfs::import_path(path, options, sink, {}, entry_hook(entry)));
  return added(root);
}

Result<std::unique_ptr<FileHasher>> FileHasher::open(std::string_view profile) {
  AGORA_ASSIGN(unixfs::Profile p, unixfs::profile_by_name(profile));
  return std::unique_ptr<FileHasher>(std::make_unique<DiscardingHasher>(p));
}

}  // namespace agora
