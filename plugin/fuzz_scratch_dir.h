// For the libFuzzer targets of on-disk state (tag ledger, verdict cache):
// one scratch directory per fuzzing run, emptied after every input.
#ifndef PULLSENTRY_PLUGIN_FUZZ_SCRATCH_DIR_H_
#define PULLSENTRY_PLUGIN_FUZZ_SCRATCH_DIR_H_

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pullsentry::fuzz {

// A fuzz target's own invariant check: a failure is a finding.
inline void Check(bool ok) {
  if (!ok) std::abort();
}

// A new directory named `<root>/<prefix>.XXXXXX` under $TMPDIR, else
// /dev/shm (state files are fsynced; memory keeps that cheap), else /tmp.
inline std::string MakeScratchDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string root = base != nullptr && *base != '\0' ? base : (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  std::string pattern = root + "/" + prefix + ".XXXXXX";
  Check(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// Removes every file in `dir` (the targets create no subdirectories).
inline void EmptyDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  Check(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}

}  // namespace pullsentry::fuzz

#endif  // PULLSENTRY_PLUGIN_FUZZ_SCRATCH_DIR_H_
