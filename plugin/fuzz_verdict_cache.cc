// libFuzzer target: VerdictCache::Open on arbitrary file contents.
//
// The cache file is state that survives restarts and crashes, and a verdict
// read from it admits images, so it may hold anything and must never be
// trusted in part. Open must never crash; a file it judges damaged leaves
// nothing behind; an accepted file serves only entries that are
// self-consistent and live; and whatever the cache then writes must open
// again cleanly.
//
// The file is a journal: a header line, then one {"put":…,"sum":…} line per
// entry. Inputs whose first byte is even get each line's checksum
// recomputed over its "put" before they are written, so the fuzzer reaches
// the per-entry checks instead of stopping at the checksum. A torn last
// line is dropped quietly; any other damage sets the whole file aside.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "plugin/fuzz_scratch_dir.h"
#include "plugin/verdict_cache.h"
#include "verify/crypto/digest.h"
#include "verify/reference/image_reference.h"

namespace {

using pullsentry::fuzz::Check;
using pullsentry::fuzz::EmptyDir;
using pullsentry::fuzz::MakeScratchDir;

using pullsentry::plugin::VerdictCache;
using pullsentry::plugin::VerdictCacheKey;

const std::string& ScratchDir() {
  static const std::string dir = MakeScratchDir("fuzz-verdict-cache");
  return dir;
}

// The input with every line's checksum matching its entry, where it has one.
std::string WithValidChecksums(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    bool ended = end != std::string::npos;
    std::string line = text.substr(start, ended ? end - start : std::string::npos);
    start = ended ? end + 1 : text.size();
    auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded() && doc.is_object() && doc.contains("put")) {
      doc["sum"] =
          pullsentry::crypto::Sha256Digest(doc["put"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      line = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    out += line;
    if (ended) out += '\n';
  }
  return out;
}

const std::chrono::system_clock::time_point kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string& dir = ScratchDir();
  const std::string path = dir + "/verdict-cache.json";
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) text = WithValidChecksums(text);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    Check(out.good());
  }

  pullsentry::plugin::VerdictCacheOptions options;
  options.max_entries = 8;  // small, so bounding on load is exercised too
  auto clock = [] { return kNow; };
  std::string warning;
  auto cache = VerdictCache::Open(path, options, clock, &warning);
  Check(cache.ok());  // the file is readable and its directory writable: no I/O error is possible
  if (!warning.empty()) {
    Check((*cache)->Size() == 0);
    Check(::access(path.c_str(), F_OK) != 0);
  } else {
    Check((*cache)->Size() <= options.max_entries);
    for (const auto& entry : (*cache)->List()) {
      const auto& v = entry.verdict;
      Check(pullsentry::reference::IsValidDigest(entry.key.digest));
      Check(v.digest == entry.key.digest && v.policy_hash == entry.key.policy_hash &&
            v.kube_namespace == entry.key.kube_namespace);
      Check(v.admitted ? v.action != "refused" && !v.action.empty() : v.action == "refused");
      Check(entry.expires > kNow && entry.expires <= v.valid_until);
      Check(entry.expires <= kNow + (v.admitted ? options.admitted_ttl : options.refused_ttl));
      auto served = (*cache)->Lookup(entry.key);
      Check(served.has_value() && served->admitted == v.admitted && served->digest == v.digest);
    }
  }

  // Whatever the cache writes must read back whole.
  VerdictCacheKey key{"registry.example/app:v1", "sha256:" + std::string(64, 'a'), "", "sha256:p"};
  pullsentry::verify::Verdict verdict;
  verdict.admitted = true;
  verdict.action = "verified";
  verdict.digest = key.digest;
  verdict.policy_hash = key.policy_hash;
  Check((*cache)->Store(key, verdict).ok());
  size_t stored = (*cache)->Size();
  cache->reset();
  std::string again;
  auto reopened = VerdictCache::Open(path, options, clock, &again);
  Check(reopened.ok() && again.empty() && (*reopened)->Size() == stored);

  EmptyDir(dir);
  return 0;
}
