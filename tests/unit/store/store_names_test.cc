// Name and label validation: a table of accepted names and of rejected
// ones (path tricks included), each rejection naming the character and its
// position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/store/artifact_store.h"

namespace fixpoint::store {
namespace {

using ::testing::HasSubstr;

TEST(StoreNamesTest, AcceptsNames) {
  for (const std::string& name :
       {std::string("seed_cnn"), std::string("a"), std::string("A1"), std::string("model.v2"),
        std::string("x-y_z"), std::string("7up"), std::string("a..b"), std::string(64, 'n')}) {
    EXPECT_TRUE(ValidateName(name).ok()) << name << ": " << ValidateName(name);
  }
}

struct Rejected {
  std::string name;
  std::string message;  // a substring of the error
};

TEST(StoreNamesTest, RejectsNamesSayingWhichCharacterWhere) {
  const Rejected cases[] = {
      {"", "name is empty"},
      {".", "character '.' at position 0"},
      {"..", "character '.' at position 0"},
      {"../etc", "character '.' at position 0"},
      {".hidden", "character '.' at position 0"},
      {"/", "character '/' at position 0"},
      {"/abs", "character '/' at position 0"},
      {"a/b", "character '/' at position 1"},
      {"a/../b", "character '/' at position 1"},
      {"a\\b", "character '\\x5c' at position 1"},
      {"..\\x", "character '.' at position 0"},
      {std::string("a\0b", 3), "character '\\x00' at position 1"},
      {std::string("\0", 1), "character '\\x00' at position 0"},
      {"-rf", "character '-' at position 0"},
      {"_x", "character '_' at position 0"},
      {"a.", "character '.' at position 1"},
      {"model.", "character '.' at position 5"},
      {"a b", "character ' ' at position 1"},
      {"a:b", "character ':' at position 1"},
      {"a*", "character '*' at position 1"},
      {"a'b", "character '\\x27' at position 1"},
      {"tab\there", "character '\\x09' at position 3"},
      {"na\xc3\xafve", "character '\\xc3' at position 2"},
      {"~user", "character '~' at position 0"},
      {"$HOME", "character '$' at position 0"},
      {std::string(65, 'n'), "65 characters long; at most 64"},
  };
  for (const Rejected& c : cases) {
    const absl::Status s = ValidateName(c.name);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
}

TEST(StoreNamesTest, Labels) {
  for (const char* label : {"prod", "canary-2", "a_b", "v2", "x"}) {
    EXPECT_TRUE(ValidateLabel(label).ok()) << label;
  }
  const Rejected cases[] = {
      {"", "label is empty"},
      {"latest", "reserved"},
      {"Prod", "character 'P' at position 0"},
      {"prOd", "character 'O' at position 2"},
      {"1abc", "character '1' at position 0"},
      {"a.b", "character '.' at position 1"},
      {"a/b", "character '/' at position 1"},
      {std::string(33, 'l'), "33 characters long; at most 32"},
  };
  for (const Rejected& c : cases) {
    const absl::Status s = ValidateLabel(c.name);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
  EXPECT_TRUE(ValidateLabel(std::string(32, 'l')).ok());
}

TEST(StoreNamesTest, PrecisionNames) {
  EXPECT_EQ(PrecisionName(Precision::kFp32), "fp32");
  EXPECT_EQ(PrecisionName(Precision::kInt8), "int8");
}

}  // namespace
}  // namespace fixpoint::store
