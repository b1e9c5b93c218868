#include "server/serving/loaded_version.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {
namespace {

// Zeros for every input at `batch` items (other dynamic dimensions: 1), and
// one run of them.
absl::Status WarmUp(const runtime::Session& session, int64_t batch) {
  std::vector<ir::Tensor> inputs;
  std::vector<ir::TensorView> views;
  for (const ir::ValueInfo& in : session.graph().inputs) {
    std::vector<int64_t> dims = in.shape.dims();
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == ir::kDynamicDim) dims[d] = d == 0 ? batch : 1;
    }
    inputs.emplace_back(in.dtype, ir::Shape(std::move(dims)));
  }
  for (const ir::Tensor& t : inputs) views.push_back(t.view());
  return WithContext(session.Run(views).status(), absl::StrCat("warm-up at batch ", batch));
}

}  // namespace

absl::string_view PrecisionLabel(store::Precision precision) {
  return precision == store::Precision::kInt8 ? "int8" : "fp32";
}

absl::StatusOr<std::unique_ptr<LoadedVersion>> LoadedVersion::Create(const store::VersionInfo& info,
                                                                     ir::Graph graph,
                                                                     const LoadOptions& options,
                                                                     Metrics& metrics) {
  const std::string context = absl::StrCat("model '", info.model, "' version ", info.version);
  runtime::SessionOptions session_options = options.session;
  // Every batch size up to the maximum is a shape signature the session
  // binds; keep them all bound instead of rebinding under load.
  session_options.max_cached_shapes =
      std::max(session_options.max_cached_shapes, options.batcher.max_batch_size + 1);
  absl::StatusOr<std::unique_ptr<runtime::Session>> session =
      runtime::Session::Create(std::move(graph), session_options);
  if (!session.ok()) return WithContext(session.status(), context);
  std::shared_ptr<const runtime::Session> shared = std::move(*session);

  if (options.warmup) {
    FP_RETURN_IF_ERROR(WithContext(WarmUp(*shared, 1), context));
    const ir::Graph& g = shared->graph();
    const bool dynamic_batch = !g.inputs.empty() && g.inputs[0].shape.rank() > 0 &&
                               g.inputs[0].shape[0] == ir::kDynamicDim;
    if (dynamic_batch && options.batcher.max_batch_size > 1) {
      FP_RETURN_IF_ERROR(WithContext(WarmUp(*shared, options.batcher.max_batch_size), context));
    }
  }

  std::unique_ptr<LoadedVersion> v(new LoadedVersion(info, shared));
  absl::StatusOr<std::unique_ptr<DynamicBatcher>> batcher =
      DynamicBatcher::Create(shared, options.batcher, v->labels_, metrics);
  if (!batcher.ok()) return WithContext(batcher.status(), context);
  v->batcher_ = std::move(*batcher);
  metrics.OnVersionLoaded(v->labels_, info.size_bytes);
  v->metrics_ = metrics.ForVersion(v->labels_);
  return v;
}

LoadedVersion::LoadedVersion(store::VersionInfo info,
                             std::shared_ptr<const runtime::Session> session)
    : info_(std::move(info)),
      labels_{info_.model, absl::StrCat(info_.version),
              std::string(PrecisionLabel(info_.precision))},
      session_(std::move(session)) {}

LoadedVersion::~LoadedVersion() {
  if (batcher_ != nullptr) batcher_->Stop();
}

}  // namespace fixpoint::server
