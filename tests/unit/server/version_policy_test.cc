#include "server/serving/version_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fixpoint::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = VersionPolicy::Kind;

TEST(VersionPolicyTest, Select) {
  VersionPolicy latest;
  EXPECT_THAT(latest.Select({3, 1, 2}), ElementsAre(3));
  latest.num_versions = 2;
  EXPECT_THAT(latest.Select({3, 1, 2}), ElementsAre(2, 3));
  latest.num_versions = 5;
  EXPECT_THAT(latest.Select({3, 1}), ElementsAre(1, 3));
  EXPECT_THAT(latest.Select({}), ElementsAre());

  VersionPolicy all{Kind::kAll, 1, {}};
  EXPECT_THAT(all.Select({2, 1}), ElementsAre(1, 2));

  VersionPolicy specific{Kind::kSpecific, 1, {4, 2}};
  EXPECT_THAT(specific.Select({1, 2, 3}), ElementsAre(2));
}

TEST(VersionPolicyTest, ParseAndPrint) {
  for (const char* text : {"latest:1", "latest:3", "all", "specific:1,3"}) {
    auto p = VersionPolicy::Parse(text);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->ToString(), text);
  }
  auto latest = VersionPolicy::Parse("latest");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->num_versions, 1);
  for (const char* bad :
       {"", "newest", "latest:0", "latest:x", "specific", "specific:1,a", "specific:0", "all:2"}) {
    auto p = VersionPolicy::Parse(bad);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("version policy '")) << bad;
  }
}

}  // namespace
}  // namespace fixpoint::server
