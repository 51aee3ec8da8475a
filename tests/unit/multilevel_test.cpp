// The multi-level chain over in-memory levels: lookup order, backfill of faster levels, the
// write-error policies, read-only levels, failures, and the hit level a get reports.
#include <gtest/gtest.h>

#include "cache/multilevel_storage.hpp"
#include "cache/read_only_storage.hpp"
#include "support/memory_storage.hpp"

namespace sccache {
namespace {

using testing::MemoryStorage;

struct Chain {
  MemoryStorage* l0 = nullptr;
  MemoryStorage* l1 = nullptr;
  MemoryStorage* l2 = nullptr;
  std::unique_ptr<MultiLevelStorage> storage;
};

Chain make_chain(WriteErrorPolicy policy = WriteErrorPolicy::l0, bool l2_read_only = false) {
  Chain c;
  auto a = std::make_unique<MemoryStorage>();
  auto b = std::make_unique<MemoryStorage>();
  auto d = std::make_unique<MemoryStorage>();
  c.l0 = a.get();
  c.l1 = b.get();
  c.l2 = d.get();
  std::vector<CacheLevel> levels;
  levels.push_back({"disk", std::move(a)});
  levels.push_back({"redis", std::move(b)});
  if (l2_read_only) {
    levels.push_back({"s3", std::make_unique<ReadOnlyStorage>(std::move(d))});
  } else {
    levels.push_back({"s3", std::move(d)});
  }
  c.storage = std::make_unique<MultiLevelStorage>(std::move(levels), policy);
  return c;
}

Error down() { return storage_error(StorageFailure::unavailable, "down"); }

TEST(MultiLevel, HitInASlowerLevelIsBackfilledIntoTheFasterOnes) {
  auto c = make_chain();
  c.l2->items["k"] = "v";
  auto got = c.storage->get("k");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, "v");
  EXPECT_EQ(c.storage->last_hit_level(), "L2 s3");
  c.storage->drain();
  EXPECT_EQ(c.l0->items.at("k"), "v");
  EXPECT_EQ(c.l1->items.at("k"), "v");
  c.l1->gets = 0;
  ASSERT_TRUE(*c.storage->get("k"));
  EXPECT_EQ(c.storage->last_hit_level(), "L0 disk");
  EXPECT_EQ(c.l1->gets, 0) << "an L0 hit asks no slower level";
}

TEST(MultiLevel, AMissAsksEveryLevelAndWritesGoEverywhere) {
  auto c = make_chain();
  auto got = c.storage->get("k");
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_EQ(c.storage->last_hit_level(), "");
  EXPECT_EQ(c.l0->gets + c.l1->gets + c.l2->gets, 3);
  ASSERT_TRUE(c.storage->put("k", "v"));
  EXPECT_EQ(c.l0->items.size() + c.l1->items.size() + c.l2->items.size(), 3U);
}

TEST(MultiLevel, ADownLevelCostsAnErrorOnlyWhenNoLevelHits) {
  auto c = make_chain();
  c.l1->fail_gets = down();
  EXPECT_FALSE(c.storage->get("k")) << "nothing found and a level failed: reported";
  c.l2->items["k"] = "v";
  auto got = c.storage->get("k");
  ASSERT_TRUE(got && *got) << "the level behind the failed one still serves";
  EXPECT_EQ(c.storage->last_hit_level(), "L2 s3");
}

TEST(MultiLevel, WriteErrorPolicies) {
  auto l0 = make_chain(WriteErrorPolicy::l0);
  l0.l1->fail_puts = down();
  EXPECT_TRUE(l0.storage->put("k", "v")) << "l0: a slower level's failure is only logged";
  l0.l0->fail_puts = down();
  EXPECT_FALSE(l0.storage->put("k", "v")) << "l0: the first level's failure counts";
  auto all = make_chain(WriteErrorPolicy::all);
  all.l2->fail_puts = down();
  EXPECT_FALSE(all.storage->put("k", "v"));
  EXPECT_EQ(all.l0->items.count("k"), 1U) << "the other levels are still written";
  auto ignore = make_chain(WriteErrorPolicy::ignore);
  ignore.l0->fail_puts = down();
  ignore.l1->fail_puts = down();
  EXPECT_TRUE(ignore.storage->put("k", "v"));
}

TEST(MultiLevel, ReadOnlyLevelsAreNeverWrittenNorBackfilled) {
  auto c = make_chain(WriteErrorPolicy::all, true);
  ASSERT_TRUE(c.storage->put("k", "v"));
  EXPECT_EQ(c.l2->puts, 0);
  EXPECT_FALSE(c.storage->read_only());
  c.l2->items["r"] = "x";
  ASSERT_TRUE(*c.storage->get("r"));
  c.storage->drain();
  EXPECT_EQ(c.l2->puts, 0);
  EXPECT_EQ(c.l0->items.count("r"), 1U);
}

TEST(MultiLevel, LocationListsTheChain) {
  auto c = make_chain();
  EXPECT_EQ(c.storage->location(), "Multi-level: L0 Memory; L1 Memory; L2 Memory");
}

}  // namespace
}  // namespace sccache
