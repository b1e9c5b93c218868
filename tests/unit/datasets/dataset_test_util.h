// Helpers for the dataset reader tests: temp files, IDX/NPY/gzip encoders
// and a status matcher.
#ifndef FIXPOINT_TESTS_UNIT_DATASETS_DATASET_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_DATASETS_DATASET_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/dataset.h"

namespace fixpoint::io::testing {

inline std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/fp_datasets_", name);
}

inline std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void AppendBigEndianU32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// IDX header (type code, dims) followed by `data`.
inline std::string Idx(uint8_t type, std::initializer_list<uint32_t> dims,
                       const std::string& data) {
  std::string out = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) AppendBigEndianU32(d, &out);
  return out + data;
}

inline std::string U8Bytes(const std::vector<int>& values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Native (little-endian on our hosts) bytes of `values`.
template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// A .npy file: header dict text as numpy writes it, padded to 64 bytes.
inline std::string NpyWithHeader(const std::string& dict, const std::string& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (size_t i = 0; i < preamble - 8; ++i) {
    out.push_back(static_cast<char>(header.size() >> (8 * i)));
  }
  return out + header + data;
}

inline std::string Npy(const std::string& descr, const std::string& shape, const std::string& data,
                       int major = 1) {
  return NpyWithHeader(
      absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }"),
      data, major);
}

inline std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A 1xHxW spec with scale 1 (raw pixel values pass through).
inline PreprocessSpec RawSpec(int c, int h, int w) {
  PreprocessSpec spec;
  spec.scale = 1.0f;
  spec.channels = c;
  spec.height = h;
  spec.width = w;
  return spec;
}

inline std::vector<float> Values(const ir::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

// Matches a non-OK absl::Status / StatusOr whose code is `code` and whose
// message contains `substr`.
MATCHER_P2(StatusIs, code, substr,
           absl::StrCat("has code ", absl::StatusCodeToString(code), " and a message with \"",
                        substr, "\"")) {
  absl::Status status;
  if constexpr (std::is_same_v<std::decay_t<arg_type>, absl::Status>) {
    status = arg;
  } else {
    status = arg.status();
  }
  *result_listener << "status is " << status;
  return status.code() == code && absl::StrContains(status.message(), substr);
}

}  // namespace fixpoint::io::testing

#endif  // FIXPOINT_TESTS_UNIT_DATASETS_DATASET_TEST_UTIL_H_
