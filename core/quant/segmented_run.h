// Runs a graph on a fixed set of images in consecutive pieces of its node
// order ("segments"), keeping, for all the images at once, the values one
// segment computes and a later one reads. Between segments the caller may
// read kept values and change initializers: bias correction corrects a
// layer's bias before the segment that runs the layer. A DequantizeLinear
// with constant scale and zero point is recomputed in each segment that
// reads it, never kept: an activation then crosses a boundary as its int8
// input (4x smaller), a constant comes from the current initializer, and
// DQ -> op -> Q stays one pattern that runs as an int8 kernel. Segments run
// unoptimized with QDQ lowered: the int8 kernels that serve the model. A
// value crossing a boundary stays in the layout its kernel wrote (the int8
// convolutions' NHWC: Session::RunLaidOut), so that no segment converts it
// to plain and the next back (those conversions were ~30% of resnet_small's
// segmented run). Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_SEGMENTED_RUN_H_
#define FIXPOINT_CORE_QUANT_SEGMENTED_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "core/runtime/session.h"

namespace fixpoint::quant {

class SegmentedRun {
 public:
  // `graph` (shapes inferred, one input) and `images` (its input for all
  // images) are borrowed; the graph's nodes must not change during the run.
  SegmentedRun(const ir::Graph& graph, ir::TensorView images, int threads);

  // Runs nodes [position(), end) as one session, then forgets the values no
  // node at `end` or later (nor a graph output) reads. INVALID_ARGUMENT if
  // end is before position() or past the last node; session errors.
  absl::Status RunTo(int end);
  int position() const { return position_; }

  // Value `name` as computed and still kept (plain, or channels-last as its
  // kernel wrote it), or null. Outputs of recomputed dequantizers are never
  // kept: see RecomputedDequantizer.
  const runtime::LaidOutView* Find(const std::string& name) const;
  // The DequantizeLinear node recomputed wherever `value` is read, or null.
  const ir::Node* RecomputedDequantizer(const std::string& value) const;
  // The graph's outputs, after RunTo(number of nodes); views into the run,
  // plain.
  std::vector<ir::TensorView> Outputs() const;

 private:
  struct Kept {
    ir::Tensor owned;  // empty for the graph input
    runtime::LaidOutView view;
  };
  absl::StatusOr<ir::Graph> Segment(int begin, int end) const;

  const ir::Graph& graph_;
  const int threads_;
  int position_ = 0;
  absl::flat_hash_map<std::string, int> dequantizers_;  // value -> writing node
  absl::flat_hash_map<std::string, int> last_reader_;   // value -> node index
  absl::flat_hash_map<std::string, Kept> kept_;
  absl::flat_hash_set<std::string> graph_outputs_;
};

// The largest number of bytes per image, counting every value as f32 and
// every dimension but the first, held by the values live across any point of
// `graph`'s node order (shapes inferred): what a SegmentedRun of it may keep.
int64_t WidestCrossingBytesPerImage(const ir::Graph& graph);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_SEGMENTED_RUN_H_
