// Behaviour of the DB API: basic reads and writes, snapshots, bounds, range
// deletes, reopening, and the errors a user meets when opening a store.
#include "trine/db.h"

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/util/test_util.h"

namespace trine {
namespace {

using ::testing::HasSubstr;

class DBTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.write_buffer_size = 32 << 10;
    options_.target_file_size = 16 << 10;
    options_.max_bytes_for_level_base = 64 << 10;
    options_.level0_compaction_trigger = 2;
    options_.block_size = 1024;
    Reopen();
  }
  void Reopen() {
    db_.reset();
    auto db = DB::Open(options_, dir_.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  std::string Get(std::string_view k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db_->Get(ro, k, &v);
    if (s.IsNotFound())
      return "NOT_FOUND";
    if (!s.ok())
      return "ERROR: " + s.ToString();
    return v;
  }
  std::vector<std::string> Keys(ReadOptions ro = ReadOptions()) {
    std::vector<std::string> out;
    auto it = db_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out.emplace_back(it->key());
    EXPECT_TRUE(it->status().ok());
    return out;
  }
  std::vector<std::string> KeysBackward(ReadOptions ro = ReadOptions()) {
    std::vector<std::string> out;
    auto it = db_->NewIterator(ro);
    for (it->SeekToLast(); it->Valid(); it->Prev())
      out.emplace_back(it->key());
    EXPECT_TRUE(it->status().ok());
    return out;
  }

  test::TempDir dir_;
  Options options_;
  WriteOptions wo_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBTest, PutGetDelete) {
  ASSERT_TRUE(db_->Put(wo_, "a", "1").ok());
  ASSERT_TRUE(db_->Put(wo_, "b", "2").ok());
  ASSERT_TRUE(db_->Put(wo_, "a", "3").ok());
  EXPECT_EQ(Get("a"), "3");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("c"), "NOT_FOUND");
  ASSERT_TRUE(db_->Delete(wo_, "a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  ASSERT_TRUE(db_->Put(wo_, "", "empty key").ok());
  EXPECT_EQ(Get(""), "empty key");
  std::string big(100000, 'z');
  ASSERT_TRUE(db_->Put(wo_, "big", big).ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get("big"), big);
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("a"), "NOT_FOUND");
}

TEST_F(DBTest, SurvivesReopenInBothDurabilityModes) {
  WriteOptions relaxed;
  relaxed.durability = Durability::kRelaxed;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(db_->Put(i % 2 ? relaxed : wo_, "k" + std::to_string(i), std::to_string(i)).ok());
  }
  Reopen();
  for (int i = 0; i < 2000; ++i)
    ASSERT_EQ(Get("k" + std::to_string(i)), std::to_string(i));
  Stats st = db_->GetStats();
  EXPECT_EQ(st.last_sequence, 2000u);
}

TEST_F(DBTest, SnapshotsSeeTheirPast) {
  ASSERT_TRUE(db_->Put(wo_, "k", "v1").ok());
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_TRUE(db_->Put(wo_, "k", "v2").ok());
  ASSERT_TRUE(db_->Delete(wo_, "other").ok());
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_TRUE(db_->Delete(wo_, "k").ok());
  // Push everything through flushes and a full compaction: snapshots must hold.
  for (int i = 0; i < 3000; ++i)
    ASSERT_TRUE(db_->Put(wo_, "fill" + std::to_string(i), "x").ok());
  ASSERT_TRUE(db_->CompactAll().ok());
  EXPECT_EQ(Get("k", s1), "v1");
  EXPECT_EQ(Get("k", s2), "v2");
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  ReadOptions ro;
  ro.snapshot = s1;
  ro.upper_bound = "l";
  EXPECT_EQ(Keys(ro).back(), "k");
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
  ASSERT_TRUE(db_->CompactAll().ok());
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(DBTest, IteratorBoundsAndSeeks) {
  for (char c = 'a'; c <= 'j'; ++c)
    ASSERT_TRUE(db_->Put(wo_, std::string(1, c), "v").ok());
  ReadOptions ro;
  ro.lower_bound = "c";
  ro.upper_bound = "g";
  EXPECT_EQ(Keys(ro), (std::vector<std::string>{"c", "d", "e", "f"}));
  EXPECT_EQ(KeysBackward(ro), (std::vector<std::string>{"f", "e", "d", "c"}));
  auto it = db_->NewIterator(ro);
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->SeekForPrev("z");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "f");
  it->SeekForPrev("dd");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  EXPECT_EQ(it->key(), "e");
  it->Prev();
  it->Prev();
  EXPECT_EQ(it->key(), "c");
  it->Prev();
  EXPECT_FALSE(it->Valid());
}

TEST_F(DBTest, DeleteRangeHidesAndLaterPutsShow) {
  for (int i = 0; i < 1000; ++i) {
    char k[16];
    std::snprintf(k, sizeof(k), "g/%04d", i);
    ASSERT_TRUE(db_->Put(wo_, k, "v").ok());
  }
  ASSERT_TRUE(db_->Put(wo_, "h", "after").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->DeleteRange(wo_, "g/", "g0").ok());
  ASSERT_TRUE(db_->Put(wo_, "g/0500", "reborn").ok());
  EXPECT_EQ(Get("g/0001"), "NOT_FOUND");
  EXPECT_EQ(Get("g/0500"), "reborn");
  EXPECT_EQ(Keys(), (std::vector<std::string>{"g/0500", "h"}));
  EXPECT_EQ(KeysBackward(), (std::vector<std::string>{"h", "g/0500"}));
  auto it = db_->NewIterator(ReadOptions());
  it->Seek("g/");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "g/0500");
  it.reset();  // iterators must not outlive the DB
  // The same after the tombstone reaches the tables, and after compaction.
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"g/0500", "h"}));
  ASSERT_TRUE(db_->CompactAll().ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"g/0500", "h"}));
  EXPECT_EQ(Get("g/0999"), "NOT_FOUND");
  Reopen();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"g/0500", "h"}));
  EXPECT_TRUE(db_->DeleteRange(wo_, "z", "a").IsInvalidArgument());
}

TEST_F(DBTest, WriteBatchIsAtomicAndOrdered) {
  WriteBatch b;
  b.Put("x", "1");
  b.Delete("x");
  b.Put("y", "2");
  b.DeleteRange("y", "z");
  b.Put("y", "3");
  EXPECT_EQ(b.Count(), 5u);
  ASSERT_TRUE(db_->Write(wo_, b).ok());
  EXPECT_EQ(Get("x"), "NOT_FOUND");
  EXPECT_EQ(Get("y"), "3");
  ASSERT_TRUE(db_->Write(wo_, WriteBatch()).ok());  // empty batch: no-op
}

TEST_F(DBTest, CompactionBuildsLevelsAndStats) {
  std::string value(100, 'v');
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(db_->Put(wo_, "key" + std::to_string(i * 7919 % 20000), value).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());
  Stats st = db_->GetStats();
  EXPECT_GT(st.flushes, 10u);
  EXPECT_GT(st.compactions, 0u);
  int deeper = 0;
  for (size_t l = 1; l < st.levels.size(); ++l)
    deeper += st.levels[l].files;
  EXPECT_GT(deeper, 0);
  EXPECT_GT(st.write_amplification, 1.0);
  EXPECT_THAT(st.ToString(), HasSubstr("write amplification"));
  for (int i = 0; i < 20000; i += 97)
    ASSERT_EQ(Get("key" + std::to_string(i)), value);
}

TEST_F(DBTest, SecondOpenIsLocked) {
  auto second = DB::Open(options_, dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsBusy());
  EXPECT_THAT(second.status().ToString(), HasSubstr("locked"));
  db_.reset();
  auto third = DB::Open(options_, dir_.path());
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST(DBOpenTest, RefusesForeignDirectories) {
  test::TempDir dir;
  std::ofstream(dir.Sub("notes.txt")) << "my files";
  auto db = DB::Open(Options(), dir.path());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsInvalidArgument());
  EXPECT_THAT(db.status().ToString(), HasSubstr("is not a Trine store"));
  EXPECT_THAT(db.status().ToString(), HasSubstr("notes.txt"));
}

TEST(DBOpenTest, RefusesNewerFormatAndMissingStore) {
  test::TempDir dir;
  {
    auto db = DB::Open(Options(), dir.path());
    ASSERT_TRUE(db.ok());
  }
  std::ofstream(dir.Sub("TRINE"), std::ios::trunc) << "trine-store 2\n";
  auto db = DB::Open(Options(), dir.path());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsNotSupported()) << db.status().ToString();
  EXPECT_THAT(db.status().ToString(), HasSubstr("format version 2"));

  Options no_create;
  no_create.create_if_missing = false;
  auto missing = DB::Open(no_create, dir.Sub("nothing-here"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().ToString(), HasSubstr("does not exist"));
}

}  // namespace
}  // namespace trine
