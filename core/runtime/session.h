// Session: a graph compiled for execution on the CPU. Create() verifies and
// prepares the graph once; per distinct input-shape signature (in practice,
// per batch size) it binds kernels — oneDNN where available, the reference
// kernels otherwise — and plans intermediate memory, caching the result.
// Thread-safe: Run may be called concurrently; each call uses its own arena.
#ifndef FIXPOINT_CORE_RUNTIME_SESSION_H_
#define FIXPOINT_CORE_RUNTIME_SESSION_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/ir/graph.h"
#include "core/runtime/workspace_pool.h"

namespace fixpoint::runtime {

struct SessionOptions {
  // Threads each Run uses for its kernels; 0 = all hardware threads.
  int intra_op_threads = 0;
  // false: reference kernels only (the oracle for tests and conformance).
  bool use_onednn = true;
  // Apply the fp32 graph optimizations of core/transform (fusions, removal of
  // Identity/Dropout) before binding.
  bool optimize = true;
  // Lower QDQ patterns to integer ops (core/transform/lower_qdq.h); false runs
  // a QDQ model as written (float ops between DequantizeLinear and
  // QuantizeLinear), the simulation the quantizer calibrates against.
  bool lower_qdq = true;
  // Distinct input-shape signatures kept bound at once.
  int max_cached_shapes = 16;
  // Graph outputs that RunLaidOut may return channels-last, as the kernel
  // that writes them left them (see LaidOutTensor): a caller that feeds
  // them to another session's RunLaidOut skips two conversions. Run and
  // RunObserved always return plain values.
  std::vector<std::string> channels_last_outputs;
};

// A value passed between sessions as a kernel left it: plain (the IR's
// row-major order) or, for a rank-4 [N, C, H, W] value, channels-last (NHWC),
// the layout of the int8 convolutions.
struct LaidOutView {
  ir::TensorView view;  // logical dtype and shape; bytes in NHWC order if channels_last
  bool channels_last = false;
};
struct LaidOutTensor {
  ir::Tensor tensor;  // logical dtype and shape; bytes in NHWC order if channels_last
  bool channels_last = false;
};

// What Run bound for one node (for --dump, logs and benchmarks).
struct BoundNodeInfo {
  std::string node;
  std::string op_type;
  std::string impl;  // "ref", "onednn:jit:avx2", ...
};

// One intermediate value as RunObserved sees it, in place.
struct ObservedValue {
  // The value's dtype and logical shape; `data` is in the physical layout the
  // kernels chose, valid only during the observer call.
  ir::TensorView view;
  // 0: the buffer holds exactly the value's elements (plain or channels-last
  // order). 8 or 16: blocked channels (nChw8c / nChw16c), the channel count
  // padded up to a multiple of it.
  int channel_block = 0;
  // With channel_block 0: a rank-4 [N, C, H, W] value stored as NHWC.
  bool channels_last = false;
};

class Session {
 public:
  // Verifies and prepares `graph` (shapes are re-inferred). INVALID_ARGUMENT /
  // UNIMPLEMENTED for graphs that cannot run.
  static absl::StatusOr<std::unique_ptr<Session>> Create(ir::Graph graph,
                                                         const SessionOptions& options);
  ~Session();

  // Runs the graph on `inputs` (in the order of graph().inputs). Returns the
  // outputs in the order of graph().outputs. INVALID_ARGUMENT naming the
  // input when a count, dtype or static dimension does not match.
  absl::StatusOr<std::vector<ir::Tensor>> Run(std::span<const ir::TensorView> inputs) const;

  // Run, plus: for each name in `observed` (a graph input, constant or node
  // output), `observer(k, value)` is called on the calling thread once the
  // value observed[k] is computed (inputs and constants before the first
  // step), without copying it or changing the kernels' layouts. The first
  // non-OK observer status ends the run and is returned. INVALID_ARGUMENT
  // for a name that is not a value of the graph.
  absl::StatusOr<std::vector<ir::Tensor>> RunObserved(
      std::span<const ir::TensorView> inputs, std::span<const std::string> observed,
      absl::FunctionRef<absl::Status(size_t, const ObservedValue&)> observer) const;

  // Run with inputs that may be channels-last (rank 4 only), returning the
  // outputs named in options().channels_last_outputs channels-last when
  // their kernel writes them so, every other output plain. Errors as Run's;
  // INVALID_ARGUMENT for a channels-last input that is not rank 4.
  absl::StatusOr<std::vector<LaidOutTensor>> RunLaidOut(
      std::span<const LaidOutView> inputs) const;

  // Binds the kernels for these input shapes (as the first Run would) and
  // allocates working memory for `concurrent_runs` runs at once, both on the
  // calling thread: runs that other threads then start neither bind nor
  // allocate, and their memory comes from the calling thread's malloc arena
  // (where freed memory is usually already faulted in; see
  // workspace_pool.h). INVALID_ARGUMENT as Run's for a count or shape that
  // does not fit; RESOURCE_EXHAUSTED when memory runs out.
  absl::Status Prepare(std::span<const ir::Shape> input_shapes, int concurrent_runs) const;

  // Kernels bound for these input shapes (binds them if needed).
  absl::StatusOr<std::vector<BoundNodeInfo>> DescribeBinding(
      std::span<const ir::Shape> input_shapes) const;

  // The prepared graph (after optimization).
  const ir::Graph& graph() const { return graph_; }
  const SessionOptions& options() const { return options_; }

 private:
  struct BoundPlan;
  // What a plan is bound for: the input shapes, which inputs arrive
  // channels-last, and whether channels_last_outputs may stay so.
  struct Signature {
    std::vector<ir::Shape> shapes;
    std::vector<bool> channels_last;  // empty: all plain
    bool laid_out_outputs = false;
  };
  Session(ir::Graph graph, const SessionOptions& options);
  absl::Status CheckInputs(std::span<const LaidOutView> inputs) const;
  absl::StatusOr<std::shared_ptr<const BoundPlan>> GetPlan(const Signature& signature) const;
  absl::StatusOr<std::shared_ptr<const BoundPlan>> Bind(const Signature& signature) const;
  absl::StatusOr<std::vector<LaidOutTensor>> RunImpl(
      std::span<const LaidOutView> inputs, bool laid_out_outputs,
      std::span<const std::string> observed,
      absl::FunctionRef<absl::Status(size_t, const ObservedValue&)> observer) const;

  ir::Graph graph_;
  SessionOptions options_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const BoundPlan>> plans_
      ABSL_GUARDED_BY(mu_);
  mutable WorkspacePool workspaces_;
};

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_SESSION_H_
