#include "verify/notation/payload.h"

#include "verify/notation/str.h"
#include "verify/json/strict_json.h"
#include "verify/notation/notation_limits.h"

namespace pullsentry::notation {
namespace {


bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// OCI image-spec descriptor digest grammar, with the two registered
// algorithms checked for their exact encoded length.
absl::Status ValidateDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return absl::InvalidArgumentError(internal::Cat("targetArtifact.digest \"", digest, "\" is not <algorithm>:<hex>"));
  }
  std::string_view alg = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  size_t want = alg == "sha256" ? 64 : alg == "sha512" ? 128 : 0;
  if (want == 0) {
    return absl::InvalidArgumentError(internal::Cat("targetArtifact.digest algorithm \"", alg, "\" is not sha256 or sha512"));
  }
  if (hex.size() != want || !IsLowerHex(hex)) {
    return absl::InvalidArgumentError(internal::Cat("targetArtifact.digest is not ", want, " lowercase hex digits"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Payload> ParsePayload(std::string_view bytes) {
  if (bytes.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(internal::Cat("payload is ", bytes.size(), " bytes, more than ", kMaxPayloadBytes));
  }
  auto doc = pullsentry::json::ParseStrictJson(bytes, kMaxPayloadDepth);
  if (!doc.ok()) return absl::InvalidArgumentError(internal::Cat("payload: ", doc.status().message()));
  if (!doc->is_object()) return absl::InvalidArgumentError("payload is not a JSON object");
  auto target = doc->find("targetArtifact");
  if (target == doc->end()) return absl::InvalidArgumentError("payload has no targetArtifact");
  if (!target->is_object()) return absl::InvalidArgumentError("payload targetArtifact is not an object");

  Payload out;
  Descriptor& d = out.target_artifact;
  auto media_type = target->find("mediaType");
  if (media_type == target->end() || !media_type->is_string() || media_type->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("targetArtifact.mediaType is missing, empty or not a string");
  }
  d.media_type = media_type->get<std::string>();
  auto digest = target->find("digest");
  if (digest == target->end() || !digest->is_string()) {
    return absl::InvalidArgumentError("targetArtifact.digest is missing or not a string");
  }
  d.digest = digest->get<std::string>();
  if (auto st = ValidateDigest(d.digest); !st.ok()) return st;
  auto size = target->find("size");
  // Go decodes into int64: a float or an out-of-range number fails there too.
  if (size == target->end() || !(size->is_number_unsigned() || size->is_number_integer()) ||
      (size->is_number_integer() && !size->is_number_unsigned() && size->get<int64_t>() < 0)) {
    return absl::InvalidArgumentError("targetArtifact.size is missing or not a non-negative integer");
  }
  if (size->is_number_unsigned() && size->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("targetArtifact.size is out of range");
  }
  d.size = size->is_number_unsigned() ? static_cast<int64_t>(size->get<uint64_t>()) : size->get<int64_t>();
  if (auto ann = target->find("annotations"); ann != target->end()) {
    if (!ann->is_object()) return absl::InvalidArgumentError("targetArtifact.annotations is not an object");
    if (ann->size() > kMaxPayloadAnnotations) {
      return absl::InvalidArgumentError(internal::Cat("targetArtifact has more than ", kMaxPayloadAnnotations, " annotations"));
    }
    for (const auto& [key, value] : ann->items()) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(internal::Cat("targetArtifact.annotations[\"", key, "\"] is not a string"));
      }
      d.annotations.emplace(key, value.get<std::string>());
    }
  }
  return out;
}

absl::Status CheckTargetArtifact(const Descriptor& signed_target, const Descriptor& artifact) {
  if (signed_target.digest != artifact.digest) {
    return absl::PermissionDeniedError(internal::Cat("the signature is for digest ", signed_target.digest,
                                                    ", not for ", artifact.digest));
  }
  if (signed_target.media_type != artifact.media_type) {
    return absl::PermissionDeniedError(internal::Cat("the signature is for media type \"", signed_target.media_type,
                                                    "\", the artifact is \"", artifact.media_type, "\""));
  }
  if (signed_target.size != artifact.size) {
    return absl::PermissionDeniedError(internal::Cat("the signature is for size ", signed_target.size,
                                                    ", the artifact is ", artifact.size, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace pullsentry::notation
