#include "verify/sigstore/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "verify/json/strict_json.h"
#include "verify/sigstore/sigstore_limits.h"

namespace pullsentry::sigstore {
namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;  // ES6 Number.MAX_SAFE_INTEGER

// UTF-16 code units of a UTF-8 string, for RFC 8785 §3.2.3 key order. The
// input was validated as UTF-8 by the JSON parser.
std::u16string Utf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c, n = 1;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f, n = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f, n = 3;
    } else {
      cp = c & 0x07, n = 4;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void AppendString(const std::string& s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

absl::Status Append(const nlohmann::json& v, size_t depth, std::string& out) {
  if (depth > kMaxCanonicalJsonDepth) return absl::InvalidArgumentError("canonical JSON: nested too deep");
  switch (v.type()) {
    case nlohmann::json::value_t::null: out += "null"; return absl::OkStatus();
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return absl::OkStatus();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: {
      bool safe = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(kMaxSafeInteger)
                                         : (v.get<int64_t>() >= -kMaxSafeInteger && v.get<int64_t>() <= kMaxSafeInteger);
      if (!safe) return absl::InvalidArgumentError("canonical JSON: integer beyond 2^53-1");
      out += v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>());
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::number_float:
      return absl::InvalidArgumentError("canonical JSON: non-integer numbers are not supported");
    case nlohmann::json::value_t::string: AppendString(v.get_ref<const std::string&>(), out); return absl::OkStatus();
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        if (absl::Status s = Append(item, depth + 1, out); !s.ok()) return s;
      }
      out += ']';
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(Utf16(it.key()), &it.key());
      std::sort(keys.begin(), keys.end());
      out += '{';
      bool first = true;
      for (const auto& [u16, key] : keys) {
        if (!first) out += ',';
        first = false;
        AppendString(*key, out);
        out += ':';
        if (absl::Status s = Append(v.at(*key), depth + 1, out); !s.ok()) return s;
      }
      out += '}';
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("canonical JSON: unsupported value");
  }
}

}  // namespace

absl::StatusOr<std::string> CanonicalizeJson(const nlohmann::json& value) {
  std::string out;
  if (absl::Status s = Append(value, 0, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> CanonicalizeJsonText(std::string_view text) {
  absl::StatusOr<nlohmann::json> doc = json::ParseStrictJson(text, kMaxCanonicalJsonDepth);
  if (!doc.ok()) return doc.status();
  return CanonicalizeJson(*doc);
}

}  // namespace pullsentry::sigstore
