// The per-channel affine map y = a[c]·x + b[c] of an inference
// BatchNormalization: a = scale / sqrt(var + epsilon), b = B − mean·a,
// computed in double. Shared by the passes that fold a BN somewhere else.
// Thread-safe (pure function).
#ifndef FIXPOINT_CORE_TRANSFORM_BATCHNORM_AFFINE_H_
#define FIXPOINT_CORE_TRANSFORM_BATCHNORM_AFFINE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

struct BatchNormAffine {
  std::vector<double> a, b;
};

// nullopt unless `bn` (a BatchNormalization of `graph`) is foldable: five
// inputs, training_mode 0, scale/B/mean/var f32 initializers of equal size.
// INVALID_ARGUMENT only for attributes of the wrong kind.
absl::StatusOr<std::optional<BatchNormAffine>> ReadBatchNormAffine(const ir::Graph& graph,
                                                                   const ir::Node& bn);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_BATCHNORM_AFFINE_H_
