// The docker builder without dockerd: `docker diff` parsing, and the start-up errors naming
// what is missing. The builder itself runs in tests/system/dist_docker.sh (its own dockerd).
#include "distributed/build_server/docker/docker_builder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace sccache::dist {
namespace {

using Paths = std::vector<std::string>;

TEST(DockerDiff, NothingChanged) {
  auto p = paths_to_clean("");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->empty());
}

TEST(DockerDiff, AdditionsGiveTheTopmostPaths) {
  auto p = paths_to_clean(
      "A /work\nA /work/src\nA /work/src/a.i\nC /tmp\nA /tmp/build\nA /tmp/build/a.o\nA /work-2\nA /x y\n");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, (Paths{"/tmp/build", "/work", "/work-2", "/x y"}));
}

TEST(DockerDiff, OnlyTmpChangedIsClean) {
  auto p = paths_to_clean("C /tmp\n");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->empty());
}

TEST(DockerDiff, ChangedOrDeletedPathsRefuseReuse) {
  EXPECT_FALSE(paths_to_clean("C /usr\nC /usr/bin\nA /usr/bin/evil\n").has_value());
  EXPECT_FALSE(paths_to_clean("A /work\nD /usr/bin/gcc\n").has_value());
  EXPECT_FALSE(paths_to_clean("C /\n").has_value());
  EXPECT_FALSE(paths_to_clean("C /tmpx\n").has_value());
}

TEST(DockerDiff, UnexpectedLinesRefuseReuse) {
  EXPECT_FALSE(paths_to_clean("A relative\n").has_value());
  EXPECT_FALSE(paths_to_clean("garbage\n").has_value());
  EXPECT_FALSE(paths_to_clean("A\n").has_value());
  EXPECT_FALSE(paths_to_clean("AA /x\n").has_value());
}

TEST(DockerBuilderStart, MissingCliIsNamed) {
  DockerBuilderOptions o;
  o.docker = "/nonexistent/docker";
  auto b = DockerBuilder::create(o);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().message.find("docker CLI"), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find("docker.io"), std::string::npos) << b.error().message;
}

TEST(DockerBuilderStart, MissingBusyboxIsNamed) {
  DockerBuilderOptions o;
  o.docker = "/bin/true";  // any executable: busybox is checked before dockerd is asked
  o.busybox = "/nonexistent/busybox";
  auto b = DockerBuilder::create(o);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().message.find("busybox-static"), std::string::npos) << b.error().message;
}

TEST(DockerBuilderStart, UnreachableDockerdIsNamed) {
  if (::access("/bin/busybox", R_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
  DockerBuilderOptions o;
  o.docker = "/bin/false";  // `docker version` fails as it would without a daemon
  auto b = DockerBuilder::create(o);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().message.find("dockerd"), std::string::npos) << b.error().message;
}

}  // namespace
}  // namespace sccache::dist
