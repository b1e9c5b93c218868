#include "client/report_print.h"

#include <cmath>
#include <string>

#include "absl/strings/str_format.h"

namespace fixpoint::client {
namespace {

std::string MinMax(float v) {
  return std::isnan(v) ? std::string("-") : absl::StrFormat("%.5g", v);
}

void PrintTensors(const quant::Manifest& m, std::ostream& out) {
  out << absl::StrFormat("%-48s %-4s %12s %6s %8s %12s %12s\n", "tensor", "type", "scale", "zp",
                         "fix_pos", "min", "max");
  for (const quant::QuantizedTensorInfo& t : m.tensors) {
    out << absl::StrFormat("%-48s %-4s %12.6g %6d %8s %12s %12s%s\n", t.name,
                           ir::DTypeName(t.dtype), t.scale, t.zero_point,
                           t.fix_pos ? std::to_string(*t.fix_pos) : "-", MinMax(t.calibrated_min),
                           MinMax(t.calibrated_max),
                           t.params_from.empty() ? "" : " (= " + t.params_from + ")");
  }
}

}  // namespace

void PrintQuantizeSummary(const quant::Manifest& m, absl::string_view what,
                          absl::string_view name, std::ostream& out) {
  out << absl::StrFormat("%-10s %s\nmethod     %s (%s)\ncalibrated %d images in %.2f s\n", what,
                         name, m.method, m.scheme, m.calib_images, m.calib_seconds);
  const quant::BiasCorrectionReport& bc = m.bias_correction;
  out << absl::StrFormat("bias corr. %s: %s", m.bias_correction_mode,
                         bc.applied ? absl::StrFormat("%d layer(s) corrected", bc.nodes.size())
                                    : std::string("not applied"));
  if (bc.calib_sqnr_without_db && bc.calib_sqnr_with_db) {
    out << absl::StrFormat(" (calibration output SQNR %.1f dB without, %.1f dB with)",
                           *bc.calib_sqnr_without_db, *bc.calib_sqnr_with_db);
  }
  out << "\n";
  if (m.accuracy) {
    const quant::AccuracyReport& a = *m.accuracy;
    out << absl::StrFormat(
        "evaluated  %d images of %s\nfp32 top-1 %.2f %%\nint8 top-1 %.2f %%  (drop %.2f points)\n"
        "agreement  %.2f %% of images get the same top-1\n",
        a.images, a.dataset, 100 * a.fp32_top1, 100 * a.int8_top1, a.top1_drop_pp(),
        100 * a.top1_agreement);
  }
  if (m.max_drop_pp) {
    out << absl::StrFormat("goal       drop <= %.2f points: %s; %d layer(s) kept in fp32%s\n",
                           *m.max_drop_pp, m.goal_met ? "met" : "NOT met (best model kept)",
                           m.float_nodes.size(), m.float_nodes.empty() ? "" : ":");
    for (const std::string& n : m.float_nodes) out << "             " << n << "\n";
  }
}

void PrintQuantizeReport(const quant::Manifest& m, absl::string_view what,
                         absl::string_view name, std::ostream& out) {
  PrintQuantizeSummary(m, what, name, out);
  if (!m.source_model.empty() || !m.created_utc.empty()) {
    out << absl::StrFormat(
        "source     %s (sha256 %s)\ncreated    %s with fixpoint %s, oneDNN %s\n",
        m.source_model, m.source_sha256.substr(0, 16), m.created_utc, m.fixpoint_version,
        m.onednn_version);
  }
  out << "\n";
  PrintTensors(m, out);
  if (!m.layers.empty()) {
    out << "\nper-layer error vs float (worst first):\n"
        << absl::StrFormat("%-48s %10s %12s\n", "tensor", "SQNR dB", "MSE");
    for (const quant::LayerError& e : m.layers) {
      out << absl::StrFormat("%-48s %10.2f %12.4g\n", e.tensor, e.sqnr_db, e.mse);
    }
  }
}

}  // namespace fixpoint::client
