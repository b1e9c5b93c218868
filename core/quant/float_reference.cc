#include "core/quant/float_reference.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {

absl::StatusOr<bool> BiasTakesCorrection(const ir::Node& node) {
  if (node.op_type == "Conv") return true;
  if (node.op_type != "Gemm") return false;
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("alpha", 1.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("beta", 1.0f));
  return alpha == 1.0f && beta == 1.0f;
}

FloatReference FloatReference::For(const ir::Graph& float_graph) {
  FloatReference r;
  for (const ir::Node& n : float_graph.nodes) {
    absl::StatusOr<bool> takes = BiasTakesCorrection(n);
    if (!takes.ok() || !*takes || !n.HasInput(0)) continue;
    absl::StatusOr<InputMoments> m = InputMoments::For(float_graph, n);
    if (!m.ok()) continue;
    const auto it = std::find(r.tensors_.begin(), r.tensors_.end(), n.inputs[0]);
    const size_t t = it - r.tensors_.begin();
    if (it == r.tensors_.end()) {
      r.tensors_.push_back(n.inputs[0]);
      r.readers_.emplace_back();
    }
    r.readers_[t].push_back(r.nodes_.size());
    r.nodes_.push_back(n.name);
    r.moments_.push_back(*std::move(m));
  }
  return r;
}

absl::Status FloatReference::Observe(size_t k, const runtime::ObservedValue& value) {
  if (k >= tensors_.size()) return absl::InternalError("float reference: no such tensor");
  for (size_t node : readers_[k]) FP_RETURN_IF_ERROR(moments_[node].AddObserved(value));
  return absl::OkStatus();
}

void FloatReference::EndBatch(int64_t images, std::vector<ir::Tensor> outputs) {
  const int64_t first = first_images_.empty() ? 0 : first_images_.back() + batch_sizes_.back();
  EndBatch(first, images, std::move(outputs));
}

void FloatReference::EndBatch(int64_t first_image, int64_t images,
                              std::vector<ir::Tensor> outputs) {
  const auto at = std::upper_bound(first_images_.begin(), first_images_.end(), first_image) -
                  first_images_.begin();
  first_images_.insert(first_images_.begin() + at, first_image);
  batch_sizes_.insert(batch_sizes_.begin() + at, images);
  outputs_.insert(outputs_.begin() + at, std::move(outputs));
}

absl::Status FloatReference::Merge(FloatReference&& other) {
  if (other.tensors_ != tensors_ || other.nodes_ != nodes_) {
    return absl::InvalidArgumentError("float reference: merging one of other candidate nodes");
  }
  std::vector<std::pair<int64_t, int64_t>> spans;  // (first image, images)
  for (const FloatReference* r : {this, &other}) {
    for (size_t b = 0; b < r->first_images_.size(); ++b) {
      spans.emplace_back(r->first_images_[b], r->batch_sizes_[b]);
    }
  }
  std::sort(spans.begin(), spans.end());
  for (size_t k = 1; k < spans.size(); ++k) {
    if (spans[k - 1].first + spans[k - 1].second > spans[k].first) {
      return absl::InvalidArgumentError(
          absl::StrCat("float reference: merging a batch that overlaps image ", spans[k].first));
    }
  }
  // Into a copy, so that a failure leaves this reference as it was.
  std::vector<InputMoments> moments = moments_;
  for (size_t m = 0; m < moments.size(); ++m) {
    FP_RETURN_IF_ERROR(moments[m].Merge(other.moments_[m]));
  }
  moments_ = std::move(moments);
  for (size_t b = 0; b < other.first_images_.size(); ++b) {
    EndBatch(other.first_images_[b], other.batch_sizes_[b], std::move(other.outputs_[b]));
  }
  other = FloatReference();
  return absl::OkStatus();
}

const InputMoments* FloatReference::MomentsOf(const std::string& node) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == node) return &moments_[i];
  }
  return nullptr;
}

}  // namespace fixpoint::quant
