#include "core/runtime/fused_activation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime {
namespace {

using transform::kFusedActivation;
using transform::kFusedAlpha;
using transform::kFusedBeta;

enum class Act { kRelu, kLeakyRelu, kClip, kSigmoid, kTanh, kHardSigmoid, kHardSwish };

absl::StatusOr<Act> ParseAct(const std::string& name) {
  static const std::pair<const char*, Act> kActs[] = {
      {"Relu", Act::kRelu},       {"LeakyRelu", Act::kLeakyRelu},
      {"Clip", Act::kClip},       {"Sigmoid", Act::kSigmoid},
      {"Tanh", Act::kTanh},       {"HardSigmoid", Act::kHardSigmoid},
      {"HardSwish", Act::kHardSwish}};
  for (const auto& [n, a] : kActs) {
    if (name == n) return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown fused activation '", name, "'"));
}

class FusedActivationKernel : public Kernel {
 public:
  FusedActivationKernel(std::unique_ptr<Kernel> inner, Act act, float alpha, float beta)
      : inner_(std::move(inner)), act_(act), alpha_(alpha), beta_(beta) {}

  size_t ScratchBytes() const override { return inner_->ScratchBytes(); }
  std::string Impl() const override { return inner_->Impl() + "+act"; }

  absl::Status Run(const KernelArgs& args) const override {
    FP_RETURN_IF_ERROR(inner_->Run(args));
    float* y = args.outputs[0].As<float>();
    const int64_t n = args.outputs[0].NumElements();
    for (int64_t i = 0; i < n; ++i) y[i] = Apply(y[i]);
    return absl::OkStatus();
  }

 private:
  float Apply(float x) const {
    switch (act_) {
      case Act::kRelu: return x > 0 ? x : 0.0f;
      case Act::kLeakyRelu: return x >= 0 ? x : alpha_ * x;
      case Act::kClip: return std::min(std::max(x, alpha_), beta_);
      case Act::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
      case Act::kTanh: return std::tanh(x);
      case Act::kHardSigmoid: return std::clamp(alpha_ * x + beta_, 0.0f, 1.0f);
      case Act::kHardSwish: return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
    }
    return x;
  }

  std::unique_ptr<Kernel> inner_;
  Act act_;
  float alpha_, beta_;
};

}  // namespace

bool IsIntegerOp(absl::string_view op_type) {
  return op_type == "QLinearConv" || op_type == "QGemm" || op_type == "QLinearAdd";
}

bool HasFusedActivation(const ir::Node& node) { return node.HasAttr(kFusedActivation); }

void StripFusedActivation(ir::Node& node) {
  node.attrs.erase(kFusedActivation);
  node.attrs.erase(kFusedAlpha);
  node.attrs.erase(kFusedBeta);
}

absl::StatusOr<std::unique_ptr<Kernel>> WrapWithFusedActivation(const ir::Node& node,
                                                                std::unique_ptr<Kernel> inner) {
  FP_ASSIGN_OR_RETURN(std::string name, node.GetString(kFusedActivation, ""));
  FP_ASSIGN_OR_RETURN(Act act, ParseAct(name));
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat(kFusedAlpha, 0.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat(kFusedBeta, 0.0f));
  return std::unique_ptr<Kernel>(new FusedActivationKernel(std::move(inner), act, alpha, beta));
}

}  // namespace fixpoint::runtime
