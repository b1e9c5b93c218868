// SHA-256 against the FIPS 180-2 test vectors, streaming vs one-shot, files.
#include "core/util/sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace fixpoint::util {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7));
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 999) h.Update(absl::string_view(data).substr(i, 999));
  EXPECT_EQ(h.HexDigest(), Sha256Hex(data));
}

TEST(Sha256Test, FileAndMissingFile) {
  const std::string path = ::testing::TempDir() + "/sha256_test.bin";
  std::ofstream(path) << "abc";
  auto digest = Sha256File(path);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, Sha256Hex("abc"));
  std::remove(path.c_str());
  EXPECT_EQ(Sha256File(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fixpoint::util
