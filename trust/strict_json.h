// The module's name for the shared strict JSON parser (verify/json).
#ifndef PULLSENTRY_TRUST_STRICT_JSON_H_
#define PULLSENTRY_TRUST_STRICT_JSON_H_

#include "verify/json/strict_json.h"

namespace pullsentry::trust::internal {

using json::JsonTypeName;
using json::kMaxJsonDepth;
using json::ParseStrictJson;

}  // namespace pullsentry::trust::internal

#endif  // PULLSENTRY_TRUST_STRICT_JSON_H_
