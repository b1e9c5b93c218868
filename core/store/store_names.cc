// Name and label validation: what may become a path component or a label.
// The rules are a whitelist, so path tricks ("..", "/", "\\", NUL, a leading
// '-' that reads as an option, hidden '.' files) fail by construction.
#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/store/artifact_store.h"

namespace fixpoint::store {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxLabelLength = 32;

// A character as it should appear in a message: 'x', or its hex escape
// ('\x00') when it is not printable ASCII.
std::string Quoted(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (absl::ascii_isprint(u) && c != '\'' && c != '\\')
    return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrFormat("'\\x%02x'", u);
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsLabelChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

struct Rules {
  absl::string_view kind;  // "name" / "label"
  size_t max_length;
  bool (*first_ok)(char);
  absl::string_view first_desc;
  bool (*rest_ok)(char);
  absl::string_view rest_desc;
};

absl::Status Check(absl::string_view value, const Rules& r) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(r.kind, " is empty"));
  const std::string shown = absl::CHexEscape(value.substr(0, r.max_length + 8));
  if (value.size() > r.max_length) {
    return absl::InvalidArgumentError(absl::StrCat(r.kind, " '", shown, "...' is ", value.size(),
                                                   " characters long; at most ", r.max_length,
                                                   " are allowed"));
  }
  if (!r.first_ok(value[0])) {
    return absl::InvalidArgumentError(absl::StrCat(r.kind, " '", shown, "': character ",
                                                   Quoted(value[0]),
                                                   " at position 0 is not allowed (it must start "
                                                   "with ",
                                                   r.first_desc, ")"));
  }
  for (size_t i = 1; i < value.size(); ++i) {
    if (!r.rest_ok(value[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(r.kind, " '", shown, "': character ", Quoted(value[i]), " at position ", i,
                       " is not allowed (allowed: ", r.rest_desc, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(absl::string_view name) {
  static constexpr Rules kRules = {
      "name",
      kMaxNameLength,
      [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); },
      "a letter or digit",
      IsNameChar,
      "letters, digits, '.', '_', '-'"};
  if (absl::Status s = Check(name, kRules); !s.ok()) return s;
  if (name.back() == '.') {
    return absl::InvalidArgumentError(absl::StrCat("name '", absl::CHexEscape(name),
                                                   "': character '.' at position ", name.size() - 1,
                                                   " is not allowed (a name must not end in '.')"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabel(absl::string_view label) {
  static constexpr Rules kRules = {
      "label",
      kMaxLabelLength,
      [](char c) { return absl::ascii_islower(static_cast<unsigned char>(c)); },
      "a lowercase letter",
      IsLabelChar,
      "lowercase letters, digits, '_', '-'"};
  if (absl::Status s = Check(label, kRules); !s.ok()) return s;
  if (label == "latest") {
    return absl::InvalidArgumentError(
        "label 'latest' is reserved (it always means the highest version)");
  }
  return absl::OkStatus();
}

absl::string_view PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

}  // namespace fixpoint::store
