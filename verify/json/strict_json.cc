#include "verify/json/strict_json.h"

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pullsentry::json {
namespace {

// Thrown from the parser callback and caught below; never leaves this file.
struct Reject : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text, size_t max_depth) {
  // One entry per open container: the keys seen so far for an object,
  // nullopt for an array.
  std::vector<std::optional<std::set<std::string>>> open;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (open.size() >= max_depth) {
          throw Reject("JSON nested deeper than " + std::to_string(max_depth) + " levels");
        }
        open.emplace_back(event == E::object_start ? std::make_optional<std::set<std::string>>() : std::nullopt);
        break;
      case E::object_end:
      case E::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case E::key:
        if (!open.empty() && open.back().has_value() && parsed.is_string()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!open.back()->insert(key).second) {
            throw Reject("duplicate key \"" + key.substr(0, 128) + "\"");
          }
        }
        break;
      case E::value:
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/false);
  } catch (const Reject& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …"
    if (size_t bracket = what.find("] "); what.starts_with("[json.exception.") && bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    if (what.size() > 300) what = what.substr(0, 300) + "…";
    return absl::InvalidArgumentError("malformed JSON: " + what);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("malformed JSON: ") + e.what());
  }
}

const char* JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an unexpected value";
  }
}

}  // namespace pullsentry::json
