// The shared report printer: the layout scripts parse (tests/cli reads the
// fix_pos column), "-" for unknown values, the per-layer table.
#include "client/report_print.h"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>

namespace fixpoint::client {
namespace {

quant::Manifest Sample() {
  quant::Manifest m;
  m.method = "pof2-mindiffs";
  m.scheme = "pof2";
  m.calib_images = 200;
  m.calib_seconds = 1.5;
  quant::AccuracyReport a;
  a.dataset = "t10k";
  a.images = 100;
  a.fp32_top1 = 0.9;
  a.int8_top1 = 0.89;
  a.top1_agreement = 0.97;
  m.accuracy = a;
  quant::QuantizedTensorInfo t;
  t.name = "images_in";
  t.dtype = ir::DType::kI8;
  t.scale = 0.0078125f;
  t.fix_pos = 7;
  t.calibrated_min = 0;
  t.calibrated_max = 1;
  m.tensors.push_back(t);
  t.name = "logits";
  t.dtype = ir::DType::kU8;
  t.fix_pos.reset();
  t.calibrated_min = std::numeric_limits<float>::quiet_NaN();
  m.tensors.push_back(t);
  m.layers.push_back({"conv1", 1e-4, 31.5, 100});
  return m;
}

TEST(ReportPrintTest, SummaryFirstLineNamesTheSource) {
  std::ostringstream out;
  PrintQuantizeSummary(Sample(), "model", "m v2", out);
  EXPECT_EQ(out.str().substr(0, 16), "model      m v2\n");
  EXPECT_NE(out.str().find("fp32 top-1 90.00 %"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("(drop 1.00 points)"), std::string::npos) << out.str();
}

TEST(ReportPrintTest, TensorTableColumns) {
  std::ostringstream out;
  PrintQuantizeReport(Sample(), "artifact", "/tmp/a", out);
  const std::string text = out.str();
  // What tests/cli/quantize_report_test.sh matches: name, type, scale, zp, fix_pos.
  EXPECT_NE(text.find("\ntensor "), std::string::npos) << text;
  std::istringstream lines(text);
  std::string line;
  bool saw_input = false, saw_logits = false;
  while (std::getline(lines, line)) {
    std::istringstream cells(line);
    std::string name, type, scale, zp, fix_pos, min, max;
    cells >> name >> type >> scale >> zp >> fix_pos >> min >> max;
    if (name == "images_in") {
      saw_input = true;
      EXPECT_EQ(type, "i8");
      EXPECT_EQ(scale, "0.0078125");
      EXPECT_EQ(fix_pos, "7");
      EXPECT_EQ(max, "1");
    }
    if (name == "logits") {
      saw_logits = true;
      EXPECT_EQ(fix_pos, "-");
      EXPECT_EQ(min, "-");  // unknown (NaN)
    }
  }
  EXPECT_TRUE(saw_input && saw_logits) << text;
  EXPECT_NE(text.find("per-layer error vs float (worst first):"), std::string::npos);
  EXPECT_NE(text.find("31.50"), std::string::npos);
  // No source line when the manifest has none (a report rebuilt from fields).
  EXPECT_EQ(text.find("source "), std::string::npos);
}

}  // namespace
}  // namespace fixpoint::client
