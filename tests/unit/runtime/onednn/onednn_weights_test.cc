// PackS8Weights against oneDNN's own reorder, byte for byte over what the
// reorder writes: the layout, and the s8s8 compensation PackS8Weights
// computes itself for an s8 source, must be what the matmul expects.
#include "core/runtime/cpu/onednn/onednn_weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace fixpoint::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// The weights layout oneDNN's int8 matmul picks for [M, K] x [K, N].
Desc MatmulWeights(int64_t m, int64_t k, int64_t n, dt source) {
  const Desc src({m, k}, source, tag::ab);
  const Desc dst({m, n}, dt::s8, tag::ab);
  const Desc weights({k, n}, dt::s8, tag::any);
  dnnl::primitive_attr attr;
  attr.set_output_scales(1 << 1, std::vector<float>(static_cast<size_t>(n), 0.01f));
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, CpuEngine())
      .weights_desc();
}

dnnl::memory OneDnnReorder(const Desc& user, const int8_t* data, const Desc& packed) {
  dnnl::memory source(user, CpuEngine(), const_cast<int8_t*>(data));
  dnnl::memory result(packed, CpuEngine());
  std::memset(result.get_data_handle(), 0x5a, packed.get_size());  // no luck from zeroed pages
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(source, result).execute(stream, source, result);
  stream.wait();
  return result;
}

struct Case {
  int64_t k, n;
  bool transposed;  // [N, K] in memory (Gemm's transB), else [K, N]
  dt source;
};

TEST(OneDnnWeightsTest, PackedBytesEqualOneDnnsReorder) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-128, 127);
  const std::vector<Case> cases = {
      {1600, 512, true, dt::s8},  {1600, 512, false, dt::s8}, {512, 10, true, dt::s8},
      {37, 5, false, dt::s8},     {64, 70, true, dt::s8},     {3, 129, false, dt::s8},
      {1600, 512, true, dt::u8},  {37, 5, false, dt::u8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "K " << c.k << " N " << c.n
                                    << (c.transposed ? " [N,K]" : " [K,N]")
                                    << (c.source == dt::s8 ? " s8 source" : " u8 source"));
    std::vector<int8_t> data(static_cast<size_t>(c.k * c.n));
    for (int8_t& v : data) v = static_cast<int8_t>(value(rng));
    data[0] = -128;  // the extremes, whose sums reach furthest
    data[1] = 127;
    const Desc user = c.transposed ? Desc({c.k, c.n}, dt::s8, Dims{1, c.k})
                                   : Desc({c.k, c.n}, dt::s8, tag::ab);
    const Desc packed = MatmulWeights(4, c.k, c.n, c.source);
    // An s8 source is what PackS8Weights is for, where this machine's oneDNN
    // asks for the s8s8 compensation alone (AVX-512 here); with more (scale
    // adjustment without VNNI) or none, it falls back to the reorder, and
    // the comparison below still holds.
    const dnnl::memory expected = OneDnnReorder(user, data.data(), packed);
    const dnnl::memory got = PackS8Weights(user, data.data(), packed);
    ASSERT_EQ(got.get_desc().get_size(), packed.get_size());
    // What oneDNN writes: the data, then one s32 compensation per padded
    // column (0 for the padding); the rest is alignment it leaves alone.
    Desc layout = packed;
    layout.data.extra = dnnl_memory_extra_desc_t{};
    const bool compensated = packed.data.extra.flags != 0;
    const size_t written =
        layout.get_size() +
        (compensated ? static_cast<size_t>(packed.data.padded_dims[1]) * sizeof(int32_t) : 0);
    ASSERT_LE(written, packed.get_size());
    EXPECT_EQ(std::memcmp(got.get_data_handle(), expected.get_data_handle(), written), 0);
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn
