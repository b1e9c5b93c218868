// What bias correction (bias_correction.h) needs from the float model,
// gathered on a pass over it that may serve something else too: the
// quantizer's calibration pass feeds it in place, as CalibrateGraph observes.
#ifndef FIXPOINT_CORE_QUANT_FLOAT_REFERENCE_H_
#define FIXPOINT_CORE_QUANT_FLOAT_REFERENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "core/quant/input_moments.h"
#include "core/runtime/session.h"

namespace fixpoint::quant {

// Whether `node`'s bias can take a correction: a Conv, or a Gemm with
// alpha = beta = 1. Errors of reading those attributes.
absl::StatusOr<bool> BiasTakesCorrection(const ir::Node& node);

// What bias correction needs from the float model, gathered on a pass over it
// that may serve something else too (the quantizer's calibration pass): for
// the first images, in batches, each candidate node's input moments and the
// graph's outputs. Thread-compatible; a pass whose batches run on several
// threads gives each its own reference and merges them (Merge).
class FloatReference {
 public:
  // Candidates: the Conv and Gemm nodes of `float_graph` (shapes inferred)
  // whose bias can take a correction and whose input InputMoments handles.
  static FloatReference For(const ir::Graph& float_graph);

  // The values to observe on each batch: the candidates' inputs, each once.
  const std::vector<std::string>& tensors() const { return tensors_; }
  // tensors()[k] of the current batch, as Session::RunObserved shows it.
  absl::Status Observe(size_t k, const runtime::ObservedValue& value);
  // Ends the current batch of `images` images with the graph's outputs; it
  // starts where the last recorded batch ends (at image 0 for the first).
  void EndBatch(int64_t images, std::vector<ir::Tensor> outputs);
  // The same for a batch starting at dataset image `first_image`, which
  // need not follow the last one (a thread that runs every other batch);
  // batches stay ordered by first image. Batches must not overlap.
  void EndBatch(int64_t first_image, int64_t images, std::vector<ir::Tensor> outputs);

  // Folds in `other`, For the same graph, which saw other batches: moments
  // add (this one's first, so merging in a fixed order is reproducible;
  // equal to one pass over all batches up to the order of double
  // additions), and the batches interleave by first image. INVALID_ARGUMENT
  // if `other` has other candidates, moments of another geometry or a batch
  // overlapping one of ours; then nothing changes.
  absl::Status Merge(FloatReference&& other);

  // Batches recorded, ordered by first image; after a full pass (merged),
  // consecutive from the dataset's first image.
  const std::vector<int64_t>& batch_sizes() const { return batch_sizes_; }
  const std::vector<std::vector<ir::Tensor>>& outputs() const { return outputs_; }
  // The moments of candidate `node`'s input, or null.
  const InputMoments* MomentsOf(const std::string& node) const;

 private:
  std::vector<std::string> tensors_;
  std::vector<std::vector<size_t>> readers_;  // per tensor: candidates reading it
  std::vector<std::string> nodes_;            // candidates
  std::vector<InputMoments> moments_;         // per candidate
  std::vector<int64_t> first_images_;  // per batch, ascending
  std::vector<int64_t> batch_sizes_;
  std::vector<std::vector<ir::Tensor>> outputs_;
};

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_FLOAT_REFERENCE_H_
