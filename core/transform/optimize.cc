#include "core/transform/optimize.h"

#include "core/transform/fold_batchnorm.h"
#include "core/transform/fold_batchnorm_forward.h"
#include "core/transform/fold_constants.h"
#include "core/transform/fuse_activations.h"
#include "core/transform/remove_identity.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {

absl::Status OptimizeForInference(ir::Graph& graph, const OptimizeOptions& options) {
  FP_RETURN_IF_ERROR(RemoveIdentityNodes(graph));
  FP_RETURN_IF_ERROR(FoldConstants(graph));
  FP_RETURN_IF_ERROR(FoldBatchNorm(graph));
  if (options.fold_batchnorm_forward) FP_RETURN_IF_ERROR(FoldBatchNormForward(graph));
  FP_RETURN_IF_ERROR(FuseActivations(graph));
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
