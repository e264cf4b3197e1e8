// This abseil is built without std::string_view support (its own
// absl::string_view is a distinct type): Cat() is absl::StrCat taking
// std::string_view too, Sv() converts one. Internal to verify/notation.
#ifndef PULLSENTRY_VERIFY_NOTATION_STR_H_
#define PULLSENTRY_VERIFY_NOTATION_STR_H_

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pullsentry::notation::internal {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename T>
decltype(auto) ToAlphaNum(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return Sv(v);
  } else {
    return (v);
  }
}

// absl::StrCat that also takes std::string_view.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(ToAlphaNum(args)...);
}

}  // namespace pullsentry::notation::internal

#endif  // PULLSENTRY_VERIFY_NOTATION_STR_H_
