// Direct mode's plans: a plan holds only while every stat it rests on is unchanged, survives a
// save and load, and the plans stay within their memory budget, least recently used first out.
#include "server/direct_plans.hpp"

#include <gtest/gtest.h>

#include "support/test_files.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

DirectPlan plan_on(const std::string& file, const std::string& dir) {
  DirectPlan::Builder b;
  b.exact(file, *stat_file(file));
  b.exact(dir, *stat_file(dir));
  return b.finish("k");
}

TEST(DirectPlans, HoldsUntilAFileOrAncestorChanges) {
  TempDir dir;
  const std::string h = dir.file("x.h", "#define X 1\n");
  auto p = plan_on(h, dir.path());
  EXPECT_TRUE(p.still_holds());
  EXPECT_EQ(p.result_key(), "k");
  dir.file("x.h", "#define X 2\n");  // a new inode, ctime and (through the rename) dir mtime
  EXPECT_FALSE(p.still_holds());
  auto q = plan_on(h, dir.path());
  EXPECT_TRUE(q.still_holds());
  dir.file("y.h", "");  // created below the ancestor: some absent candidate may be it
  EXPECT_FALSE(q.still_holds());
}

TEST(DirectPlans, FrontCodedPathsComeBackWhole) {
  TempDir dir;
  const std::string a = dir.file("abc.h", "");
  const std::string b = dir.file("abd.h", "");
  const std::string c = dir.file("b.h", "");
  DirectPlan::Builder builder;
  for (const auto& p : {c, a, b}) builder.exact(p, *stat_file(p));
  auto plan = builder.finish("k");
  EXPECT_TRUE(plan.still_holds());
  ::unlink(b.c_str());
  EXPECT_FALSE(plan.still_holds()) << "the middle path, rebuilt from its neighbour's prefix";
}

TEST(DirectPlans, AnExistingCandidateIsCheckedByMtime) {
  TempDir dir;
  const std::string h = dir.file("x.h", "");
  DirectPlan::Builder b;
  b.existing(h, stat_file(h)->mtime_ns);
  EXPECT_TRUE(b.finish("k").still_holds());
  DirectPlan::Builder c;
  c.existing(h, stat_file(h)->mtime_ns - 1);
  EXPECT_FALSE(c.finish("k").still_holds());
}

TEST(DirectPlans, StaysWithinItsBudget) {
  TempDir dir;
  const std::string h = dir.file("x.h", "");
  auto p = plan_on(h, dir.path());
  DirectPlans plans((p.weight() + 1) * 2);
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
  plans.put("empty", DirectPlan::Builder{}.finish("k"));
  EXPECT_EQ(plans.find("empty"), nullptr) << "a plan without checks is never kept";
}

TEST(DirectPlans, SurviveASaveAndLoad) {
  TempDir dir;
  const std::string h = dir.file("x.h", "");
  DirectPlans plans;
  plans.put("a", plan_on(h, dir.path()));
  ByteWriter w;
  plans.save(w);
  DirectPlans again;
  ByteReader r(w.data());
  ASSERT_TRUE(again.load(r));
  EXPECT_TRUE(r.at_end());
  auto p = again.find("a");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->still_holds());
  EXPECT_EQ(p->result_key(), "k");
  std::string cut = w.data().substr(0, w.data().size() - 3);
  ByteReader short_reader(cut);
  DirectPlans none;
  EXPECT_FALSE(none.load(short_reader));
}

}  // namespace
}  // namespace sccache
