// libFuzzer target: TagLedger::Open on arbitrary file contents.
//
// The ledger file is state that survives restarts and crashes, so it may hold
// anything. Open must never crash on it, and must never keep entries from a
// file it judged damaged (a damaged ledger starts empty: a re-verification,
// never an admission). When it does accept a file, every entry it serves must
// be one the file holds, with a valid digest.
#include <dirent.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "plugin/fuzz_scratch_dir.h"
#include "plugin/tag_ledger.h"
#include "verify/reference/image_reference.h"

namespace {

using pullsentry::fuzz::Check;
using pullsentry::fuzz::EmptyDir;
using pullsentry::fuzz::MakeScratchDir;

// One scratch directory for the whole run, emptied after every input.
const std::string& ScratchDir() {
  static const std::string dir = MakeScratchDir("fuzz-tag-ledger");
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = ScratchDir();
  const std::string path = dir + "/tag-ledger.json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    Check(out.good());
  }

  std::string warning;
  auto ledger = pullsentry::plugin::TagLedger::Open(path, &warning);
  Check(ledger.ok());  // the file is readable and its directory writable: no I/O error is possible
  if (!warning.empty()) {
    // Damaged: set aside whole, nothing kept.
    Check((*ledger)->size() == 0);
    Check(::access(path.c_str(), F_OK) != 0);
  } else {
    // Accepted: the file must be the documented format, and the ledger must
    // serve exactly what it holds.
    auto doc = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr,
                                     /*allow_exceptions=*/false);
    Check(!doc.is_discarded() && doc.is_object() && doc.contains("version") && doc["version"] == 1);
    Check(doc.contains("tags") && doc["tags"].is_object());
    size_t count = 0;
    for (const auto& [name, tags] : doc["tags"].items()) {
      Check(tags.is_object());
      for (const auto& [tag, digest] : tags.items()) {
        ++count;
        Check(digest.is_string() && pullsentry::reference::IsValidDigest(digest.get<std::string>()));
        auto served = (*ledger)->Lookup(name, tag);
        Check(served.has_value() && *served == digest.get<std::string>());
        auto ref = pullsentry::reference::ParseNormalized(name + ":" + tag);
        Check(ref.ok() && ref->Name() == name && ref->tag == tag);
      }
    }
    Check((*ledger)->size() == count);
  }
  EmptyDir(dir);
  return 0;
}
