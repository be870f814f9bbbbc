#include "store/pin_store.h"

#include <gtest/gtest.h>

#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<PinStore> open_pins(const fs::path& db) {
  auto r = PinStore::open(db);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

Cid cid_n(uint64_t n) { return raw_cid(test_block(32, n)); }

TEST(PinStore, AddListRemove) {
  TestDir dir;
  auto pins = open_pins(dir.path() / "agora.db");
  ASSERT_TRUE(pins);
  Cid a = cid_n(1), b = cid_n(2);
  EXPECT_FALSE(*pins->is_pinned(a));
  Status added = pins->add(a, PinType::recursive);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  ASSERT_TRUE(pins->add(a, PinType::recursive).ok());  // idempotent
  ASSERT_TRUE(pins->add(b, PinType::direct).ok());
  EXPECT_TRUE(*pins->is_pinned(a));
  EXPECT_EQ(*pins->pin_type(a), PinType::recursive);
  EXPECT_EQ(*pins->pin_type(b), PinType::direct);

  auto all = pins->list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  auto recursive = pins->list({.type = PinType::recursive});
  ASSERT_EQ(recursive->size(), 1u);
  EXPECT_EQ(recursive->front().cid, a);
  EXPECT_EQ(recursive->front().name, "");

  ASSERT_TRUE(pins->remove(a).ok());
  EXPECT_FALSE(*pins->is_pinned(a));
  Status again = pins->remove(a);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::not_found);
  EXPECT_EQ(again.error().message, a.to_string() + " is not pinned");
  EXPECT_EQ(pins->list()->size(), 1u);
}

TEST(PinStore, NamedPinsShareACid) {
  TestDir dir;
  auto pins = open_pins(dir.path() / "agora.db");
  ASSERT_TRUE(pins);
  Cid a = cid_n(3);
  ASSERT_TRUE(pins->add(a, PinType::recursive, "website").ok());
  ASSERT_TRUE(pins->add(a, PinType::recursive, "backup").ok());
  auto of_a = pins->pins_of(a);
  ASSERT_EQ(of_a->size(), 2u);
  EXPECT_EQ((*of_a)[0].name, "backup");
  EXPECT_EQ((*of_a)[1].name, "website");
  EXPECT_EQ(pins->list({.name = "website"})->size(), 1u);

  Status wrong = pins->remove(a, {.name = "nope"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::not_found);
  EXPECT_NE(wrong.error().message.find("has no pin named 'nope' (its pins: 'backup', 'website')"),
            std::string::npos)
      << wrong.error().message;

  ASSERT_TRUE(pins->remove(a, {.name = "website"}).ok());
  EXPECT_TRUE(*pins->is_pinned(a));
  ASSERT_TRUE(pins->remove(a, {.name = "backup"}).ok());
  EXPECT_FALSE(*pins->is_pinned(a));

  // Without a name, every pin of the CID goes.
  ASSERT_TRUE(pins->add(a, PinType::direct, "x").ok());
  ASSERT_TRUE(pins->add(a, PinType::direct, "y").ok());
  ASSERT_TRUE(pins->remove(a).ok());
  EXPECT_TRUE(pins->list()->empty());
}

TEST(PinStore, DirectAndRecursiveConflictsAsKubo) {
  TestDir dir;
  auto pins = open_pins(dir.path() / "agora.db");
  ASSERT_TRUE(pins);
  Cid a = cid_n(4), b = cid_n(5);
  ASSERT_TRUE(pins->add(a, PinType::recursive, "r").ok());
  Status direct = pins->add(a, PinType::direct);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().code, Errc::exists);
  EXPECT_NE(direct.error().message.find("already pinned recursively"), std::string::npos);

  // A recursive pin turns the direct pins of the CID recursive, names kept.
  ASSERT_TRUE(pins->add(b, PinType::direct, "d").ok());
  ASSERT_TRUE(pins->add(b, PinType::recursive).ok());
  auto of_b = pins->pins_of(b);
  ASSERT_EQ(of_b->size(), 2u);
  for (const Pin& p : *of_b) EXPECT_EQ(p.type, PinType::recursive) << p.name;

  // `pin rm --recursive=false` refuses a recursive pin, and removes a direct one.
  Status not_recursive = pins->remove(a, {.recursive = false});
  ASSERT_FALSE(not_recursive.ok());
  EXPECT_EQ(not_recursive.error().code, Errc::invalid_input);
  EXPECT_NE(not_recursive.error().message.find("is pinned recursively"), std::string::npos);
  EXPECT_TRUE(*pins->is_pinned(a));
  Cid c = cid_n(6);
  ASSERT_TRUE(pins->add(c, PinType::direct).ok());
  ASSERT_TRUE(pins->remove(c, {.recursive = false}).ok());
}

TEST(PinStore, CidV0AndV1AreDistinctPins) {
  TestDir dir;
  auto pins = open_pins(dir.path() / "agora.db");
  ASSERT_TRUE(pins);
  Cid v0 = Cid::of(to_bytes("node"), kCodecDagPb, 0);
  ASSERT_TRUE(pins->add(v0, PinType::recursive).ok());
  EXPECT_FALSE(*pins->is_pinned(v0.to_v1()));
  auto listed = pins->list();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().cid.version(), 0);  // stored in full, codec and version included
}

TEST(PinStore, RefusesBadNames) {
  TestDir dir;
  auto pins = open_pins(dir.path() / "agora.db");
  ASSERT_TRUE(pins);
  EXPECT_EQ(pins->add(cid_n(7), PinType::direct, std::string(256, 'n')).error().code,
            Errc::invalid_input);
  EXPECT_EQ(pins->add(cid_n(7), PinType::direct, "a\nb").error().code, Errc::invalid_input);
  EXPECT_EQ(pins->add(Cid(), PinType::direct).error().code, Errc::invalid_input);
  EXPECT_TRUE(pins->add(cid_n(7), PinType::direct, std::string(255, 'n')).ok());
  EXPECT_TRUE(pins->add(cid_n(7), PinType::direct, "ünïcode name").ok());
}

TEST(PinStore, PersistsAcrossReopenAndCounts) {
  TestDir dir;
  fs::path db = dir.path() / "agora.db";
  {
    auto pins = open_pins(db);
    ASSERT_TRUE(pins);
    ASSERT_TRUE(pins->add(cid_n(8), PinType::recursive, "one").ok());
    ASSERT_TRUE(pins->add(cid_n(8), PinType::recursive, "two").ok());
    ASSERT_TRUE(pins->add(cid_n(9), PinType::direct).ok());
    ASSERT_TRUE(pins->add(cid_n(10), PinType::direct).ok());
  }
  EXPECT_TRUE(fs::exists(db.string() + "-wal") || fs::file_size(db) > 0);
  auto pins = open_pins(db);
  ASSERT_TRUE(pins);
  EXPECT_EQ(pins->list()->size(), 4u);
  auto counts = pins->counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->recursive, 1u);
  EXPECT_EQ(counts->direct, 2u);
  EXPECT_EQ(counts->named, 2u);
}

TEST(PinStore, RefusesANewerSchema) {
  TestDir dir;
  fs::path db_path = dir.path() / "agora.db";
  ASSERT_TRUE(open_pins(db_path));
  {
    auto db = SqliteDb::open(db_path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        (*db)->exec("UPDATE schema_versions SET version = 99 WHERE component = 'pins'").ok());
  }
  auto pins = PinStore::open(db_path);
  ASSERT_FALSE(pins.ok());
  EXPECT_EQ(pins.error().code, Errc::unsupported);
  EXPECT_NE(pins.error().message.find("schema version 99, newer than this agora knows (1)"),
            std::string::npos)
      << pins.error().message;
}

TEST(SqliteDb, MigratesStepByStepAndKeepsData) {
  TestDir dir;
  fs::path db_path = dir.path() / "agora.db";
  const char* v1[] = {"CREATE TABLE things(id INTEGER PRIMARY KEY, label TEXT NOT NULL)"};
  const char* v2[] = {v1[0], "ALTER TABLE things ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 7"};
  {
    auto db = SqliteDb::open(db_path);
    ASSERT_TRUE(db.ok()) << db.error().to_string();
    EXPECT_EQ(*(*db)->schema_version("things"), 0);
    ASSERT_TRUE((*db)->migrate("things", v1).ok());
    EXPECT_EQ(*(*db)->schema_version("things"), 1);
    ASSERT_TRUE((*db)->exec("INSERT INTO things(label) VALUES('kept')").ok());
  }
  auto db = SqliteDb::open(db_path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate("things", v2).ok());
  EXPECT_EQ(*(*db)->schema_version("things"), 2);
  auto q = (*db)->prepare("SELECT label, size_bytes FROM things");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->step());
  EXPECT_EQ(q->column_text(0), "kept");
  EXPECT_EQ(q->column_int(1), 7);
  // Another component's version is its own.
  EXPECT_EQ(*(*db)->schema_version("other"), 0);

  // A failing step leaves the version where it was.
  const char* bad[] = {v1[0], v2[1], "CREATE TABLE things(x)"};
  Status st = (*db)->migrate("things", bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("migrating things from version 2"), std::string::npos);
  EXPECT_EQ(*(*db)->schema_version("things"), 2);
}

}  // namespace
}  // namespace agora::store
