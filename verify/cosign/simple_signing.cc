#include "verify/cosign/simple_signing.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "verify/cosign/strict_json.h"
#include "verify/crypto/digest.h"
#include "verify/reference/image_reference.h"

namespace pullsentry::cosign {
namespace {

using nlohmann::json;

absl::Status Malformed(std::string_view what, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": ", std::string(why)));
}

// Checks that `object` is an object with exactly `fields` (all present, no
// others), as containers/image's ParanoidUnmarshalJSONObjectExactFields.
absl::Status ExactFields(const json& object, std::string_view where, std::initializer_list<std::string_view> fields) {
  if (!object.is_object()) {
    return Malformed(where, absl::StrCat("expected an object, got ", internal::JsonTypeName(object)));
  }
  for (std::string_view f : fields) {
    if (!object.contains(std::string(f))) return Malformed(where, absl::StrCat("missing field \"", std::string(f), "\""));
  }
  if (object.size() != fields.size()) {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (std::string_view f : fields) known = known || key == f;
      if (!known) return Malformed(where, absl::StrCat("unknown field \"", key.substr(0, 128), "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StringField(const json& object, const char* key, std::string_view where) {
  const json& v = object.at(key);
  if (!v.is_string()) {
    return Malformed(absl::StrCat(std::string(where), ".", key),
                     absl::StrCat("expected a string, got ", internal::JsonTypeName(v)));
  }
  return v.get<std::string>();
}

}  // namespace

absl::StatusOr<std::string> SignatureTag(std::string_view manifest_digest) {
  if (!reference::IsValidDigest(manifest_digest) || !manifest_digest.starts_with("sha256:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature tag needs a sha256:<64 hex> manifest digest, got \"",
                     std::string(manifest_digest.substr(0, 160)), "\""));
  }
  // SIGNATURE_SPEC.md "Tag-based Discovery": ':' -> '-', then ".sig".
  return absl::StrCat("sha256-", std::string(manifest_digest.substr(7)), ".sig");
}

absl::StatusOr<std::vector<SignatureLayer>> ParseSignatureManifest(std::string_view manifest_json) {
  if (manifest_json.size() > kMaxSignatureManifestBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("signature manifest is ", manifest_json.size(), " bytes, limit ", kMaxSignatureManifestBytes));
  }
  auto parsed = internal::ParseStrictJson(manifest_json);
  if (!parsed.ok()) return Malformed("signature manifest", std::string(parsed.status().message()));
  const json& m = *parsed;
  if (!m.is_object()) return Malformed("signature manifest", "expected an object");
  if (!m.contains("schemaVersion") || !m["schemaVersion"].is_number_integer() || m["schemaVersion"] != 2) {
    return Malformed("signature manifest", "schemaVersion must be 2");
  }
  if (m.contains("mediaType")) {
    if (!m["mediaType"].is_string()) return Malformed("signature manifest.mediaType", "expected a string");
    const std::string& mt = m["mediaType"].get_ref<const std::string&>();
    if (mt != "application/vnd.oci.image.manifest.v1+json" &&
        mt != "application/vnd.docker.distribution.manifest.v2+json") {
      return Malformed("signature manifest", absl::StrCat("is a \"", mt.substr(0, 128), "\", not an image manifest"));
    }
  }
  if (!m.contains("layers") || !m["layers"].is_array()) {
    return Malformed("signature manifest", "missing layers array");
  }
  const json& layers = m["layers"];
  if (layers.size() > kMaxSignatureLayers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("signature manifest has ", layers.size(), " layers, limit ", kMaxSignatureLayers));
  }

  std::vector<SignatureLayer> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& layer = layers[i];
    std::string where = absl::StrCat("signature manifest layers[", i, "]");
    if (!layer.is_object()) return Malformed(where, "expected an object");
    if (!layer.contains("mediaType") || !layer["mediaType"].is_string()) {
      return Malformed(where, "mediaType must be a string");
    }
    if (layer["mediaType"] != kSimpleSigningMediaType) continue;
    if (!layer.contains("annotations")) continue;
    const json& annotations = layer["annotations"];
    if (!annotations.is_object()) return Malformed(where, "annotations must be an object");
    auto sig_it = annotations.find(std::string(kSignatureAnnotation));
    if (sig_it == annotations.end()) continue;
    if (!sig_it->is_string()) return Malformed(where, "signature annotation must be a string");

    SignatureLayer out_layer;
    if (!layer.contains("digest") || !layer["digest"].is_string() ||
        !reference::IsValidDigest(layer["digest"].get_ref<const std::string&>())) {
      return Malformed(where, "digest must be sha256:<64 hex> or sha512:<128 hex>");
    }
    out_layer.payload_digest = layer["digest"].get<std::string>();
    if (!layer.contains("size") || !layer["size"].is_number_integer() || layer["size"].get<int64_t>() < 0) {
      return Malformed(where, "size must be a non-negative integer");
    }
    int64_t size = layer["size"].get<int64_t>();
    if (static_cast<uint64_t>(size) > kMaxPayloadBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(where, ": payload of ", size, " bytes exceeds the limit of ", kMaxPayloadBytes));
    }
    out_layer.payload_size = static_cast<size_t>(size);
    const std::string& b64 = sig_it->get_ref<const std::string&>();
    if (b64.size() > (kMaxSignatureBytes + 2) / 3 * 4) {
      return absl::ResourceExhaustedError(
          absl::StrCat(where, ": signature larger than ", kMaxSignatureBytes, " bytes"));
    }
    auto decoded = crypto::Base64Decode(b64);
    if (!decoded.has_value() || decoded->empty()) return Malformed(where, "signature annotation is not base64");
    out_layer.signature = std::move(*decoded);
    out.push_back(std::move(out_layer));
  }
  return out;
}

absl::StatusOr<SimpleSigningPayload> ParseSimpleSigningPayload(std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("payload is ", payload.size(), " bytes, limit ", kMaxPayloadBytes));
  }
  auto parsed = internal::ParseStrictJson(payload);
  if (!parsed.ok()) return Malformed("payload", std::string(parsed.status().message()));
  const json& p = *parsed;
  if (absl::Status s = ExactFields(p, "payload", {"critical", "optional"}); !s.ok()) return s;

  // cosign writes "optional": null when there are no annotations.
  const json& optional = p["optional"];
  if (!optional.is_null()) {
    if (!optional.is_object()) {
      return Malformed("payload.optional", absl::StrCat("expected an object or null, got ",
                                                        internal::JsonTypeName(optional)));
    }
    if (optional.contains("creator") && !optional["creator"].is_string()) {
      return Malformed("payload.optional.creator", "expected a string");
    }
    if (optional.contains("timestamp")) {
      const json& t = optional["timestamp"];
      bool integral = t.is_number_integer() ||
                      (t.is_number_float() && std::trunc(t.get<double>()) == t.get<double>() &&
                       std::abs(t.get<double>()) < 9.2e18);
      if (!integral) return Malformed("payload.optional.timestamp", "expected an integer");
    }
  }

  const json& critical = p["critical"];
  if (absl::Status s = ExactFields(critical, "payload.critical", {"type", "image", "identity"}); !s.ok()) return s;
  auto type = StringField(critical, "type", "payload.critical");
  if (!type.ok()) return type.status();
  if (absl::AsciiStrToLower(*type) != kCosignSignatureType) {
    return Malformed("payload.critical.type",
                     absl::StrCat("\"", type->substr(0, 128), "\" is not \"", std::string(kCosignSignatureType), "\""));
  }

  SimpleSigningPayload out;
  const json& image = critical["image"];
  if (absl::Status s = ExactFields(image, "payload.critical.image", {"docker-manifest-digest"}); !s.ok()) return s;
  auto digest = StringField(image, "docker-manifest-digest", "payload.critical.image");
  if (!digest.ok()) return digest.status();
  if (!reference::IsValidDigest(*digest)) {
    return Malformed("payload.critical.image.docker-manifest-digest",
                     absl::StrCat("\"", digest->substr(0, 160), "\" is not a valid digest"));
  }
  out.docker_manifest_digest = std::move(*digest);

  const json& identity = critical["identity"];
  if (absl::Status s = ExactFields(identity, "payload.critical.identity", {"docker-reference"}); !s.ok()) return s;
  auto ref = StringField(identity, "docker-reference", "payload.critical.identity");
  if (!ref.ok()) return ref.status();
  if (ref->size() > reference::kMaxReferenceLength) {
    return Malformed("payload.critical.identity.docker-reference", "longer than 1024 bytes");
  }
  out.docker_reference = std::move(*ref);
  return out;
}

}  // namespace pullsentry::cosign
