// Direct mode's plans: a plan holds only while every stat it rests on is unchanged, and the
// plans stay within their memory budget, least recently used first out.
#include "server/direct_plans.hpp"

#include <gtest/gtest.h>

#include "support/test_files.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

DirectPlan plan_on(const std::string& file, const std::string& dir) {
  DirectPlan p;
  p.result_key = "k";
  p.files.emplace_back(file, *stat_file(file));
  p.ancestors.emplace_back(dir, *stat_file(dir));
  return p;
}

TEST(DirectPlans, HoldsUntilAFileOrAncestorChanges) {
  TempDir dir;
  const std::string h = dir.file("x.h", "#define X 1\n");
  auto p = plan_on(h, dir.path());
  EXPECT_TRUE(p.still_holds());
  dir.file("x.h", "#define X 2\n");  // a new inode, ctime and (through the rename) dir mtime
  EXPECT_FALSE(p.still_holds());
  auto q = plan_on(h, dir.path());
  EXPECT_TRUE(q.still_holds());
  dir.file("y.h", "");  // created below the ancestor: some absent candidate may be it
  EXPECT_FALSE(q.still_holds());
}

TEST(DirectPlans, AnExistingCandidateIsCheckedByMtime) {
  TempDir dir;
  const std::string h = dir.file("x.h", "");
  DirectPlan p;
  p.existing.emplace_back(h, stat_file(h)->mtime_ns);
  EXPECT_TRUE(p.still_holds());
  p.existing.back().second -= 1;
  EXPECT_FALSE(p.still_holds());
}

TEST(DirectPlans, StaysWithinItsBudget) {
  TempDir dir;
  const std::string h = dir.file("x.h", "");
  auto p = plan_on(h, dir.path());
  DirectPlans plans(p.weight() * 2);
  plans.put("a", p);
  plans.put("b", p);
  ASSERT_NE(plans.find("a"), nullptr);  // a is now the most recently used
  plans.put("c", p);
  EXPECT_NE(plans.find("a"), nullptr);
  EXPECT_EQ(plans.find("b"), nullptr) << "the least recently used plan goes first";
  EXPECT_NE(plans.find("c"), nullptr);
  plans.drop("c");
  EXPECT_EQ(plans.find("c"), nullptr);
  DirectPlans tiny(10);
  tiny.put("a", p);
  EXPECT_EQ(tiny.find("a"), nullptr) << "a plan larger than the budget is not kept";
}

}  // namespace
}  // namespace sccache
