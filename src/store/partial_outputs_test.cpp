#include "store/partial_outputs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

size_t records(const fs::path& repo) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(repo / kPartialOutputsDir)) n += e.is_regular_file();
  return n;
}

TEST(PartialOutputs, RemovesOnlyWhatWasRecordedAndNotForgotten) {
  TestDir repo, dest;
  // A killed export of a directory, and one of a file.
  fs::path tree = partial_output_path(dest.path() / "tree");
  fs::path file = partial_output_path(dest.path() / "file.bin");
  EXPECT_EQ(file.filename().string().rfind(".file.bin.agora-partial-", 0), 0u) << file;
  fs::create_directories(tree / "sub");
  touch(tree / "sub" / "a");
  touch(file);
  ASSERT_TRUE(record_partial_output(repo.path(), tree).ok());
  ASSERT_TRUE(record_partial_output(repo.path(), file).ok());
  // A finished export: its record was forgotten, its output is the user's.
  fs::path done = partial_output_path(dest.path() / "done");
  touch(done);
  auto done_record = record_partial_output(repo.path(), done);
  ASSERT_TRUE(done_record.ok());
  ASSERT_TRUE(forget_partial_output(*done_record).ok());
  // Look-alikes nobody recorded, and a record that names something else.
  fs::path stranger = dest.path() / ".x.agora-partial-000000000000";
  touch(stranger);
  fs::path precious = dest.path() / "precious";
  touch(precious);
  std::ofstream(repo.path() / kPartialOutputsDir / "forged.partial") << precious.string();
  EXPECT_FALSE(record_partial_output(repo.path(), precious).ok());

  auto removed = remove_partial_outputs(repo.path());
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  size_t removed_count = 0, refused = 0;
  for (const auto& r : *removed) {
    removed_count += r.removed;
    refused += !r.error.empty();
  }
  EXPECT_EQ(removed_count, 2u);
  EXPECT_EQ(refused, 1u);  // the forged record
  EXPECT_FALSE(fs::exists(tree));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(fs::exists(done));
  EXPECT_TRUE(fs::exists(stranger));
  EXPECT_TRUE(fs::exists(precious));
  EXPECT_EQ(records(repo.path()), 0u);
  // Nothing left to do the next time.
  EXPECT_TRUE(remove_partial_outputs(repo.path())->empty());
}

TEST(PartialOutputs, NoRecordsNoWork) {
  TestDir repo;
  auto removed = remove_partial_outputs(repo.path());
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->empty());
}

}  // namespace
}  // namespace agora::store
