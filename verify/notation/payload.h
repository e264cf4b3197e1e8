// The Notary Project signature payload
// (`application/vnd.cncf.notary.payload.v1+json`): what a Notation signature
// says it signed. Spec: notaryproject/specifications
// specs/signature-specification.md, "Payload".
//
// The parser checks structure only; CheckTargetArtifact makes the one trust
// decision this file owns: the signed descriptor is the artifact's.
#ifndef PULLSENTRY_VERIFY_NOTATION_PAYLOAD_H_
#define PULLSENTRY_VERIFY_NOTATION_PAYLOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pullsentry::notation {

inline constexpr std::string_view kPayloadMediaType = "application/vnd.cncf.notary.payload.v1+json";

// An OCI descriptor, the fields Notation signs and compares.
struct Descriptor {
  std::string media_type;
  std::string digest;  // "<algorithm>:<encoded>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
};

struct Payload {
  Descriptor target_artifact;
};

// Parses the payload bytes. InvalidArgument naming the field when they are
// not a JSON object (strict: duplicate keys refused, bounded size and depth)
// with a `targetArtifact` descriptor holding a non-empty mediaType, a
// well-formed digest, a non-negative integer size and string annotations.
// Other members are ignored, as notation-go ignores them.
absl::StatusOr<Payload> ParsePayload(std::string_view bytes);

// OK when `signed_target` names `artifact`: mediaType, digest and size all
// equal (notation-go compares exactly these; annotations are the signer's
// and are returned to the caller instead). PermissionDenied naming the first
// field that differs.
absl::Status CheckTargetArtifact(const Descriptor& signed_target, const Descriptor& artifact);

}  // namespace pullsentry::notation

#endif  // PULLSENTRY_VERIFY_NOTATION_PAYLOAD_H_
