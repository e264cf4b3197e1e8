// The module's name for the shared strict JSON parser (verify/json).
#ifndef PULLSENTRY_VERIFY_COSIGN_STRICT_JSON_H_
#define PULLSENTRY_VERIFY_COSIGN_STRICT_JSON_H_

#include "verify/json/strict_json.h"

namespace pullsentry::cosign::internal {

using json::JsonTypeName;
using json::kMaxJsonDepth;
using json::ParseStrictJson;

}  // namespace pullsentry::cosign::internal

#endif  // PULLSENTRY_VERIFY_COSIGN_STRICT_JSON_H_
