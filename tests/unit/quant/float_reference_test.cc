// FloatReference for data-parallel passes: references that each saw every
// other batch, merged, hold the batches in dataset order with the outputs
// of one pass over all of them and moments equal up to the order of double
// additions; overlapping batches and other candidates are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/quant/float_reference.h"
#include "core/runtime/session.h"
#include "tests/unit/quant/bundled_model.h"

namespace fixpoint::quant {
namespace {

using testing::FashionTrainImages;
using testing::PreparedBundledModel;

void ExpectSameTensors(const std::vector<ir::Tensor>& got, const std::vector<ir::Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape());
    ASSERT_EQ(got[i].ByteSize(), want[i].ByteSize());
    EXPECT_EQ(std::memcmp(got[i].raw(), want[i].raw(), want[i].ByteSize()), 0) << "output " << i;
  }
}

TEST(FloatReferenceTest, MergedHalvesEqualOnePass) {
  auto graph = PreparedBundledModel("resnet_small");
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto data = FashionTrainImages(100);
  ASSERT_TRUE(data.ok()) << data.status();
  runtime::SessionOptions so;
  so.intra_op_threads = 1;
  so.optimize = false;
  auto session = runtime::Session::Create(*graph, so);
  ASSERT_TRUE(session.ok()) << session.status();

  FloatReference all = FloatReference::For(*graph);
  ASSERT_FALSE(all.tensors().empty());
  FloatReference halves[2] = {FloatReference::For(*graph), FloatReference::For(*graph)};
  const int64_t sizes[] = {30, 30, 30, 10};  // the last one smaller
  for (int64_t b = 0, first = 0; b < 4; first += sizes[b], ++b) {
    auto batch = data->Items(first, sizes[b]);
    ASSERT_TRUE(batch.ok());
    FloatReference& half = halves[b % 2];
    auto outputs = (*session)->RunObserved(
        std::vector<ir::TensorView>{batch->images}, all.tensors(),
        [&](size_t k, const runtime::ObservedValue& v) -> absl::Status {
          FP_RETURN_IF_ERROR(all.Observe(k, v));
          return half.Observe(k, v);
        });
    ASSERT_TRUE(outputs.ok()) << outputs.status();
    half.EndBatch(first, sizes[b], *outputs);
    all.EndBatch(sizes[b], *std::move(outputs));
  }
  ASSERT_TRUE(halves[0].Merge(std::move(halves[1])).ok());
  const FloatReference& merged = halves[0];

  EXPECT_EQ(merged.batch_sizes(), (std::vector<int64_t>{30, 30, 30, 10}));
  ASSERT_EQ(merged.outputs().size(), all.outputs().size());
  for (size_t b = 0; b < all.outputs().size(); ++b) {
    SCOPED_TRACE(b);
    ExpectSameTensors(merged.outputs()[b], all.outputs()[b]);
  }
  int compared = 0;
  for (const ir::Node& node : graph->nodes) {
    const InputMoments* want = all.MomentsOf(node.name);
    if (want == nullptr) continue;
    const InputMoments* got = merged.MomentsOf(node.name);
    ASSERT_NE(got, nullptr) << node.name;
    const ir::Tensor& weight = graph->initializers.at(node.inputs[1]);
    auto want_means = want->Means(weight);
    auto got_means = got->Means(weight);
    ASSERT_TRUE(want_means.ok() && got_means.ok()) << node.name;
    for (size_t c = 0; c < want_means->size(); ++c) {
      EXPECT_NEAR((*got_means)[c], (*want_means)[c], 1e-12 * std::abs((*want_means)[c]) + 1e-300)
          << node.name << " channel " << c;
    }
    ++compared;
  }
  EXPECT_GT(compared, 3);
}

TEST(FloatReferenceTest, MergeRefusesOverlapsAndOtherCandidates) {
  auto graph = PreparedBundledModel("resnet_small");
  auto seed_cnn = PreparedBundledModel("seed_cnn");
  ASSERT_TRUE(graph.ok() && seed_cnn.ok());
  FloatReference a = FloatReference::For(*graph);
  FloatReference b = FloatReference::For(*graph);
  a.EndBatch(0, 10, {});
  a.EndBatch(20, 10, {});
  b.EndBatch(25, 10, {});  // overlaps [20, 30)
  EXPECT_EQ(a.Merge(std::move(b)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.batch_sizes(), (std::vector<int64_t>{10, 10}));
  FloatReference other = FloatReference::For(*seed_cnn);
  EXPECT_EQ(a.Merge(std::move(other)).code(), absl::StatusCode::kInvalidArgument);
  // Batches ended out of order are kept in dataset order.
  FloatReference c = FloatReference::For(*graph);
  c.EndBatch(10, 10, {});
  ASSERT_TRUE(a.Merge(std::move(c)).ok());
  EXPECT_EQ(a.batch_sizes(), (std::vector<int64_t>{10, 10, 10}));
  a.EndBatch(5, {});  // after the last one, at image 30
  EXPECT_EQ(a.batch_sizes(), (std::vector<int64_t>{10, 10, 10, 5}));
}

}  // namespace
}  // namespace fixpoint::quant
