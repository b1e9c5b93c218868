#include "core/quant/quant_params.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace fixpoint::quant {
namespace {

// Saturates a rounded double into [qmin, qmax] before the integer cast, so
// that huge or infinite quotients never reach undefined conversions.
int32_t Saturate(double rounded, int32_t qmin, int32_t qmax) {
  if (rounded <= qmin) return qmin;
  if (rounded >= qmax) return qmax;
  return static_cast<int32_t>(rounded);
}

// Does [min, max] fit into the int8 grid at position p with Vitis's half-step
// guard? ldexp on doubles is exact here (floats scaled by powers of two).
bool FitsNonOverflow(double min, double max, int p) {
  return std::ldexp(max, p) <= 127.5 && std::ldexp(-min, p) <= 128.5;
}

}  // namespace

double RoundHalfEven(double x) {
  // The default rounding mode rounds to nearest, ties to even; nothing in
  // fixpoint changes it. Infinities and NaN pass through.
  return std::nearbyint(x);
}

absl::StatusOr<QuantParams> ScaleZeroPoint(float min, float max, bool symmetric) {
  if (!std::isfinite(min) || !std::isfinite(max)) {
    return absl::InvalidArgumentError(absl::StrFormat("range [%g, %g] is not finite", min, max));
  }
  if (min > max) {
    return absl::InvalidArgumentError(absl::StrFormat("range [%g, %g] has min > max", min, max));
  }
  double rmin = std::min(0.0, static_cast<double>(min));
  double rmax = std::max(0.0, static_cast<double>(max));
  QuantParams params;
  if (symmetric) {
    params.qmin = -128;
    params.qmax = 127;
    const double absmax = std::max(-rmin, rmax);
    // ORT computes (absmax - -absmax) / (127 - -127) = absmax / 127.
    params.scale = static_cast<float>(absmax / 127.0);
    params.zero_point = 0;
  } else {
    params.qmin = 0;
    params.qmax = 255;
    params.scale = static_cast<float>((rmax - rmin) / 255.0);
  }
  if (!(params.scale >= std::numeric_limits<float>::min())) {
    params.scale = 1.0f;
    params.zero_point = 0;
    return params;
  }
  if (!symmetric) {
    const double zp = RoundHalfEven(-rmin / static_cast<double>(params.scale));
    params.zero_point = Saturate(zp, params.qmin, params.qmax);
  }
  return params;
}

int32_t QuantizeValue(float x, const QuantParams& params) {
  if (std::isnan(x)) return params.zero_point;
  const float quotient = x / params.scale;
  const double shifted = RoundHalfEven(quotient) + params.zero_point;
  return Saturate(shifted, params.qmin, params.qmax);
}

float DequantizeValue(int32_t q, const QuantParams& params) {
  return static_cast<float>(q - params.zero_point) * params.scale;
}

double FixPosToScale(int fix_pos) { return std::ldexp(1.0, -fix_pos); }

absl::StatusOr<int> ScaleToFixPos(double scale) {
  if (!std::isfinite(scale) || !(scale > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scale %g is not a positive finite number", scale));
  }
  const double pos = RoundHalfEven(-std::log2(scale));
  return static_cast<int>(
      std::clamp(pos, static_cast<double>(kMinFixPos), static_cast<double>(kMaxFixPos)));
}

QuantParams Pof2Params(int fix_pos) {
  assert(fix_pos >= -127 && fix_pos <= kMaxFixPos);
  QuantParams params;
  params.scale = static_cast<float>(FixPosToScale(fix_pos));
  params.zero_point = 0;
  params.qmin = -128;
  params.qmax = 127;
  return params;
}

int NonOverflowFixPos(float min, float max) {
  const double dmin = std::min(0.0, static_cast<double>(min));
  const double dmax = std::max(0.0, static_cast<double>(max));
  // Vitis: scale = max(min / -128.5, max / 127.5); all zero -> 127.
  const double scale = std::max(dmin / -128.5, dmax / 127.5);
  if (scale == 0.0) return kMaxFixPos;
  // log2 only seeds the search; the exact test below decides at boundaries.
  int p =
      static_cast<int>(std::clamp(std::floor(-std::log2(scale)), static_cast<double>(kMinFixPos),
                                  static_cast<double>(kMaxFixPos)));
  while (p > kMinFixPos && !FitsNonOverflow(dmin, dmax, p)) --p;
  while (p < kMaxFixPos && FitsNonOverflow(dmin, dmax, p + 1)) ++p;
  return p;
}

int MinDiffsFixPos(int start_pos, absl::FunctionRef<double(int fix_pos)> squared_error) {
  int best_pos = start_pos;
  double best_error = std::numeric_limits<double>::infinity();
  for (int i = 0; i < kMinDiffsCandidates; ++i) {
    const int pos = start_pos + i;
    if (pos > kMaxFixPos) break;
    const double error = squared_error(pos);
    if (error < best_error) {
      best_error = error;
      best_pos = pos;
    }
  }
  return best_pos;
}

}  // namespace fixpoint::quant
