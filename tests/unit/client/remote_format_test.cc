// Tables, sizes, durations, the progress line, top-k and the --version rename.
#include "client/remote_format.h"

#include <gtest/gtest.h>

#include <vector>

namespace fixpoint::client {
namespace {

TEST(TableTest, AlignsColumnsAndTrimsTrailingBlanks) {
  Table t({"NAME", "N", "NOTE"}, {Table::Align::kLeft, Table::Align::kRight});
  t.AddRow({"a", "1", ""});
  t.AddRow({"longer", "100", "x"});
  EXPECT_EQ(t.Render(),
            "NAME      N  NOTE\n"
            "a         1\n"
            "longer  100  x\n");
}

TEST(TableTest, ShortRowsArePaddedAndLongOnesCut) {
  Table t({"A", "B"});
  t.AddRow({"1"});
  t.AddRow({"2", "3", "dropped"});
  EXPECT_EQ(t.Render(), "A  B\n1\n2  3\n");
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(Table({"A"}).empty());
}

TEST(TableTest, WidthCountsCodePointsNotBytes) {
  EXPECT_EQ(DisplayWidth("a\xE2\x80\x94" "b"), 3u);  // "a—b"
  Table t({"X", "Y"});
  t.AddRow({"\xE2\x80\xA6", "1"});  // "…"
  t.AddRow({"ab", "2"});
  EXPECT_EQ(t.Render(), "X   Y\n\xE2\x80\xA6   1\nab  2\n");
}

TEST(FormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(3369480), "3.21 MiB");
  EXPECT_EQ(FormatBytes(int64_t{20} << 30), "20.0 GiB");
}

TEST(FormatTest, Durations) {
  EXPECT_EQ(FormatDuration(0.42), "0.4s");
  EXPECT_EQ(FormatDuration(12.4), "12s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(7260), "2h01m");
  EXPECT_EQ(FormatDuration(-1), "-");
}

TEST(FormatTest, ProgressLine) {
  EXPECT_EQ(ProgressLine("calibrate", 0.5, 12, 10), "calibrate    [#####.....]  50%  ETA 12s");
  EXPECT_EQ(ProgressLine("load", 0, 0, 4), "load         [....]   0%");
  EXPECT_EQ(ProgressLine("layer-report", 1.7, -1, 4), "layer-report [####] 100%");  // clamped
}

TEST(FormatTest, TopKBestFirstTiesByIndex) {
  const std::vector<float> scores = {0.1f, 0.7f, 0.2f, 0.7f, -1.0f};
  auto top = TopK(scores, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].first, 1);
  EXPECT_EQ(top[1].first, 3);
  EXPECT_EQ(top[2].first, 2);
  EXPECT_FLOAT_EQ(top[2].second, 0.2f);
  EXPECT_EQ(TopK(scores, 10).size(), 5u);
  EXPECT_TRUE(TopK(scores, 0).empty());
}

TEST(RenameVersionFlagTest, RenamesValuedFormsOnly) {
  using V = std::vector<std::string>;
  EXPECT_EQ(RenameVersionFlag(V{"fixpoint", "report", "--model", "m", "--version", "3"}),
            (V{"fixpoint", "report", "--model", "m", "--model_version=3"}));
  EXPECT_EQ(RenameVersionFlag(V{"fixpoint", "-version=production"}),
            (V{"fixpoint", "--model_version=production"}));
  // Bare --version (Abseil's "print the build") and a following flag stay.
  EXPECT_EQ(RenameVersionFlag(V{"fixpoint", "--version"}), (V{"fixpoint", "--version"}));
  EXPECT_EQ(RenameVersionFlag(V{"fixpoint", "--version", "--json"}),
            (V{"fixpoint", "--version", "--json"}));
  EXPECT_EQ(RenameVersionFlag(V{"fixpoint", "--", "--version", "2"}),
            (V{"fixpoint", "--", "--version", "2"}));
}

}  // namespace
}  // namespace fixpoint::client
