#include "core/transform/batchnorm_affine.h"

#include <cmath>

#include "core/util/status_macros.h"

namespace fixpoint::transform {

absl::StatusOr<std::optional<BatchNormAffine>> ReadBatchNormAffine(const ir::Graph& graph,
                                                                   const ir::Node& bn) {
  if (bn.op_type != "BatchNormalization" || bn.inputs.size() != 5) {
    return std::optional<BatchNormAffine>();
  }
  FP_ASSIGN_OR_RETURN(int64_t training, bn.GetInt("training_mode", 0));
  FP_ASSIGN_OR_RETURN(float eps, bn.GetFloat("epsilon", 1e-5f));
  if (training != 0) return std::optional<BatchNormAffine>();
  const ir::Tensor* p[4];
  for (int i = 0; i < 4; ++i) {
    p[i] = graph.FindInitializer(bn.inputs[i + 1]);
    if (p[i] == nullptr || p[i]->dtype() != ir::DType::kF32 || p[i]->shape().rank() != 1 ||
        p[i]->NumElements() != p[0]->NumElements()) {
      return std::optional<BatchNormAffine>();
    }
  }
  BatchNormAffine f;
  for (int64_t c = 0; c < p[0]->NumElements(); ++c) {
    const double a = p[0]->data<float>()[c] /
                     std::sqrt(static_cast<double>(p[3]->data<float>()[c]) + eps);
    f.a.push_back(a);
    f.b.push_back(p[1]->data<float>()[c] - p[2]->data<float>()[c] * a);
  }
  return std::optional<BatchNormAffine>(std::move(f));
}

}  // namespace fixpoint::transform
