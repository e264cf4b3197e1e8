#include "verify/sigstore/proto_json.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/crypto/digest.h"
#include "verify/json/strict_json.h"

namespace pullsentry::sigstore::internal {
namespace {

absl::Status WrongType(std::string_view path, std::string_view want, const nlohmann::json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.empty() ? std::string("/") : std::string(path), ": want ", std::string(want), ", got ",
                   json::JsonTypeName(got)));
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses exactly `width` digits at s[pos].
std::optional<int> Digits(std::string_view s, size_t pos, size_t width) {
  if (pos + width > s.size() || !AllDigits(s.substr(pos, width))) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < width; ++i) v = v * 10 + (s[pos + i] - '0');
  return v;
}

}  // namespace

std::string Join(std::string_view path, std::string_view key) {
  return std::string(path) + "/" + std::string(key);
}
std::string Join(std::string_view path, size_t index) { return std::string(path) + "/" + std::to_string(index); }

absl::StatusOr<const nlohmann::json*> Member(const nlohmann::json& obj, std::string_view path, std::string_view key) {
  if (!obj.is_object()) return WrongType(path, "object", obj);
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  return &*it;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& obj, std::string_view path,
                                                          std::string_view key, size_t max_bytes) {
  absl::StatusOr<const nlohmann::json*> m = Member(obj, path, key);
  if (!m.ok()) return m.status();
  if (*m == nullptr) return std::nullopt;
  if (!(*m)->is_string()) return WrongType(Join(path, key), "string", **m);
  const std::string& s = (*m)->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Join(path, key), ": string of ", s.size(), " bytes exceeds the limit of ", max_bytes));
  }
  if (s.empty()) return std::nullopt;
  return s;
}

absl::StatusOr<std::string> RequiredString(const nlohmann::json& obj, std::string_view path, std::string_view key,
                                           size_t max_bytes) {
  absl::StatusOr<std::optional<std::string>> s = OptionalString(obj, path, key, max_bytes);
  if (!s.ok()) return s.status();
  if (!s->has_value()) return absl::InvalidArgumentError(absl::StrCat(Join(path, key), ": required, missing"));
  return **s;
}

std::optional<std::string> DecodeProtoBase64(std::string_view text) {
  std::string standard(text);
  bool saw_standard = false, saw_url = false;
  for (char& c : standard) {
    if (c == '+' || c == '/') saw_standard = true;
    if (c == '-' || c == '_') {
      saw_url = true;
      c = (c == '-') ? '+' : '/';
    }
  }
  // One alphabet per value: a mix is no valid encoding in either.
  if (saw_standard && saw_url) return std::nullopt;
  if (standard.find('=') == std::string::npos) {
    if (standard.size() % 4 == 1) return std::nullopt;
    while (standard.size() % 4 != 0) standard += '=';
  }
  return crypto::Base64Decode(standard);
}

absl::StatusOr<std::optional<std::string>> OptionalBytes(const nlohmann::json& obj, std::string_view path,
                                                         std::string_view key, size_t max_bytes) {
  // Base64 grows by 4/3; bound the text before decoding it.
  absl::StatusOr<std::optional<std::string>> text = OptionalString(obj, path, key, max_bytes / 3 * 4 + 4);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::nullopt;
  std::optional<std::string> bytes = DecodeProtoBase64(**text);
  if (!bytes.has_value()) return absl::InvalidArgumentError(absl::StrCat(Join(path, key), ": not valid base64"));
  if (bytes->size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Join(path, key), ": ", bytes->size(), " bytes exceed the limit of ", max_bytes));
  }
  return bytes;
}

absl::StatusOr<std::string> RequiredBytes(const nlohmann::json& obj, std::string_view path, std::string_view key,
                                          size_t max_bytes) {
  absl::StatusOr<std::optional<std::string>> b = OptionalBytes(obj, path, key, max_bytes);
  if (!b.ok()) return b.status();
  if (!b->has_value()) return absl::InvalidArgumentError(absl::StrCat(Join(path, key), ": required, missing"));
  return **b;
}

absl::StatusOr<int64_t> RequiredNonNegativeInt64(const nlohmann::json& obj, std::string_view path,
                                                 std::string_view key) {
  absl::StatusOr<const nlohmann::json*> m = Member(obj, path, key);
  if (!m.ok()) return m.status();
  std::string where = Join(path, key);
  if (*m == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, ": required, missing"));
  const nlohmann::json& v = **m;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": out of range"));
    }
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return absl::InvalidArgumentError(absl::StrCat(where, ": negative"));
    return i;
  }
  if (!v.is_string()) return WrongType(where, "integer or decimal string", v);
  const std::string& s = v.get_ref<const std::string&>();
  // Leading zeros are refused: one value, one spelling.
  if (!AllDigits(s) || (s.size() > 1 && s[0] == '0')) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a non-negative decimal integer"));
  }
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": out of range"));
  }
  return out;
}

absl::StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& obj, std::string_view path,
                                                     std::string_view key) {
  absl::StatusOr<const nlohmann::json*> m = Member(obj, path, key);
  if (!m.ok() || *m == nullptr) return m;
  if (!(*m)->is_object()) return WrongType(Join(path, key), "object", **m);
  return m;
}

absl::StatusOr<const nlohmann::json*> RequiredObject(const nlohmann::json& obj, std::string_view path,
                                                     std::string_view key) {
  absl::StatusOr<const nlohmann::json*> m = OptionalObject(obj, path, key);
  if (m.ok() && *m == nullptr) return absl::InvalidArgumentError(absl::StrCat(Join(path, key), ": required, missing"));
  return m;
}

absl::StatusOr<const nlohmann::json*> OptionalArray(const nlohmann::json& obj, std::string_view path,
                                                    std::string_view key, size_t max_items) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  absl::StatusOr<const nlohmann::json*> m = Member(obj, path, key);
  if (!m.ok()) return m;
  if (*m == nullptr) return &kEmpty;
  if (!(*m)->is_array()) return WrongType(Join(path, key), "array", **m);
  if ((*m)->size() > max_items) {
    return absl::InvalidArgumentError(
        absl::StrCat(Join(path, key), ": ", (*m)->size(), " items exceed the limit of ", max_items));
  }
  return m;
}

std::optional<Time> ParseRfc3339(std::string_view s, bool round_up) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS
  auto year = Digits(s, 0, 4), month = Digits(s, 5, 2), day = Digits(s, 8, 2);
  auto hour = Digits(s, 11, 2), minute = Digits(s, 14, 2), second = Digits(s, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  year_month_day ymd{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                     std::chrono::day(static_cast<unsigned>(*day))};
  // Leap seconds (":60") are refused; no Sigstore service writes them.
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  size_t pos = 19;
  bool fraction = false;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (s[pos] != '0') fraction = true;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  seconds offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    auto oh = Digits(s, pos + 1, 2), om = Digits(s, pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = hours(*oh) + minutes(*om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  Time t = sys_days(ymd) + hours(*hour) + minutes(*minute) + seconds(*second) - offset;
  if (fraction && round_up) t += seconds(1);
  return t;
}

std::string FormatRfc3339(Time t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(t - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

}  // namespace pullsentry::sigstore::internal
