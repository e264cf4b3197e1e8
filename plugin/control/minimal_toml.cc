#include "plugin/control/minimal_toml.h"

#include <cctype>
#include <charconv>

#include "absl/status/status.h"

namespace pullsentry::control {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// The line without its comment: '#' outside a string.
std::string_view StripComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

absl::Status LineError(int line, const std::string& what) {
  return absl::InvalidArgumentError("line " + std::to_string(line) + ": " + what);
}

// Parses a dotted key ("a.\"b.c\".d") into its components.
absl::StatusOr<std::vector<std::string>> ParseKey(std::string_view text, int line) {
  std::vector<std::string> parts;
  text = Trim(text);
  while (true) {
    text = Trim(text);
    if (text.empty()) return LineError(line, "empty key");
    std::string part;
    if (text.front() == '"' || text.front() == '\'') {
      char quote = text.front();
      size_t end = 1;
      for (; end < text.size() && text[end] != quote; ++end) {
        if (quote == '"' && text[end] == '\\' && end + 1 < text.size()) ++end;
        part += text[end];
      }
      if (end >= text.size()) return LineError(line, "unterminated quoted key");
      text.remove_prefix(end + 1);
    } else {
      size_t end = 0;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' ||
                                   text[end] == '-'))
        ++end;
      if (end == 0) return LineError(line, "bad key");
      part = std::string(text.substr(0, end));
      text.remove_prefix(end);
    }
    parts.push_back(std::move(part));
    text = Trim(text);
    if (text.empty()) return parts;
    if (text.front() != '.') return LineError(line, "bad key");
    text.remove_prefix(1);
  }
}

// Net bracket depth of a raw value outside strings: > 0 means it continues.
int OpenBrackets(std::string_view text) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return depth;
}

// Where a key ends: the first '=' outside quotes.
size_t FindEquals(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '=') {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

absl::StatusOr<std::vector<TomlEntry>> ReadTomlEntries(std::string_view text) {
  if (text.size() > kMaxTomlBytes) return absl::InvalidArgumentError("larger than 1 MiB");
  std::vector<TomlEntry> entries;
  std::vector<std::string> table;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    std::string_view line = Trim(StripComment(lines[i]));
    if (line.empty()) continue;
    if (line.front() == '[') {
      bool array_table = line.starts_with("[[");
      std::string_view inner = line.substr(array_table ? 2 : 1);
      size_t close = inner.rfind(array_table ? "]]" : "]");
      if (close == std::string_view::npos || !Trim(inner.substr(close + (array_table ? 2 : 1))).empty())
        return LineError(number, "bad table header");
      absl::StatusOr<std::vector<std::string>> key = ParseKey(inner.substr(0, close), number);
      if (!key.ok()) return key.status();
      table = *key;
      entries.push_back(TomlEntry{table, "", true, number});
      continue;
    }
    size_t equals = FindEquals(line);
    if (equals == std::string_view::npos) return LineError(number, "expected key = value");
    absl::StatusOr<std::vector<std::string>> key = ParseKey(line.substr(0, equals), number);
    if (!key.ok()) return key.status();
    std::string value(Trim(line.substr(equals + 1)));
    if (value.starts_with("\"\"\"") || value.starts_with("'''")) {
      // Multi-line strings are not read; skip to their end.
      std::string delimiter = value.substr(0, 3);
      bool closed = value.size() >= 6 && value.find(delimiter, 3) != std::string::npos;
      while (!closed && ++i < lines.size()) closed = lines[i].find(delimiter) != std::string_view::npos;
      if (!closed) return LineError(number, "unterminated multi-line string");
      value = delimiter + "…" + delimiter;
    } else {
      // Arrays and inline tables may continue on the following lines.
      while (OpenBrackets(value) > 0 && i + 1 < lines.size()) value += " " + std::string(Trim(StripComment(lines[++i])));
      if (OpenBrackets(value) != 0) return LineError(number, "unbalanced brackets in value");
    }
    std::vector<std::string> full = table;
    full.insert(full.end(), key->begin(), key->end());
    entries.push_back(TomlEntry{std::move(full), std::move(value), false, number});
  }
  return entries;
}

std::optional<bool> TomlBool(std::string_view raw) {
  raw = Trim(raw);
  if (raw == "true") return true;
  if (raw == "false") return false;
  return std::nullopt;
}

std::optional<long long> TomlInteger(std::string_view raw) {
  raw = Trim(raw);
  std::string digits;
  for (char c : raw) {
    if (c != '_') digits += c;
  }
  long long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<std::string> TomlString(std::string_view raw) {
  raw = Trim(raw);
  if (raw.size() < 2) return std::nullopt;
  char quote = raw.front();
  if ((quote != '"' && quote != '\'') || raw.back() != quote) return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (quote == '"' && c == '\\' && i + 2 < raw.size()) {
      char escaped = raw[++i];
      switch (escaped) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        default: out += escaped; break;  // \" \\ and the rest: kept literally
      }
      continue;
    }
    if (c == quote) return std::nullopt;  // two strings, not one
    out += c;
  }
  return out;
}

std::optional<std::vector<std::string>> TomlStringArray(std::string_view raw) {
  raw = Trim(raw);
  if (raw.size() < 2 || raw.front() != '[' || raw.back() != ']') return std::nullopt;
  std::vector<std::string> out;
  std::string_view rest = Trim(raw.substr(1, raw.size() - 2));
  while (!rest.empty()) {
    char quote = rest.front();
    if (quote != '"' && quote != '\'') return std::nullopt;
    size_t end = 1;
    while (end < rest.size() && rest[end] != quote) end += (quote == '"' && rest[end] == '\\') ? 2 : 1;
    if (end >= rest.size()) return std::nullopt;
    std::optional<std::string> item = TomlString(rest.substr(0, end + 1));
    if (!item) return std::nullopt;
    out.push_back(*item);
    rest = Trim(rest.substr(end + 1));
    if (!rest.empty()) {
      if (rest.front() != ',') return std::nullopt;
      rest = Trim(rest.substr(1));
    }
  }
  return out;
}

std::string TomlKeyString(const std::vector<std::string>& key) {
  std::string out;
  for (const std::string& part : key) {
    if (!out.empty()) out += '.';
    bool bare = !part.empty();
    for (char c : part) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') bare = false;
    }
    out += bare ? part : "\"" + part + "\"";
  }
  return out;
}

}  // namespace pullsentry::control
