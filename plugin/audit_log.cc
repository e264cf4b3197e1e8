#include "plugin/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "absl/status/status.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {
namespace {

absl::StatusOr<UniqueFd> OpenForAppend(const std::string& file) {
  // 0600: the record names images and namespaces, which is nobody else's business.
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return absl::Status(absl::ErrnoToStatusCode(errno),
                        "cannot open audit log " + file + ": " + std::strerror(errno));
  }
  return fd;
}

// The whole line in one write(2): with O_APPEND, concurrent writers (and a
// reader tailing the file) never see half a record.
bool WriteLine(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  int ms = static_cast<int>((since_epoch - seconds).count());
  std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return text;
}

nlohmann::json AuditRecord(const DecisionRecord& record) {
  nlohmann::json out;
  out["time"] = FormatRfc3339Utc(record.time);
  out["requested"] = record.requested;
  out["origin"] = record.origin;
  out["cache_hit"] = record.cache_hit;
  out["elapsed_seconds"] = record.elapsed.count();
  if (!record.verdict.ok()) {
    // No decision was reached; the pull was refused for it.
    out["verdict"] = "error";
    out["action"] = "refused";
    out["error_code"] = absl::StatusCodeToString(record.verdict.status().code());
    out["reason"] = std::string(record.verdict.status().message());
    return out;
  }
  const verify::Verdict& verdict = *record.verdict;
  out["verdict"] = verdict.admitted ? "admitted" : "refused";
  out["image"] = verdict.image;
  out["digest"] = verdict.digest;
  out["namespace"] = verdict.kube_namespace;
  out["scope"] = verdict.scope;
  out["mode"] = verdict.mode;
  out["action"] = verdict.action;
  out["signers"] = verdict.signers;
  out["reason"] = verdict.reason;
  out["policy_hash"] = verdict.policy_hash;
  return out;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& file, Sink journal) {
  UniqueFd fd;
  if (!file.empty()) {
    absl::StatusOr<UniqueFd> opened = OpenForAppend(file);
    if (!opened.ok()) return opened.status();
    fd = std::move(*opened);
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file, std::move(fd), std::move(journal)));
}

void AuditLog::OnDecision(const DecisionRecord& record) {
  // Invalid UTF-8 in a caller's image name is replaced, never a throw on the pull path.
  std::string line = AuditRecord(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (journal_) journal_("audit " + line);
  std::lock_guard lock(mu_);
  if (!fd_.valid()) return;
  if (!WriteLine(fd_.get(), line + "\n")) {
    if (!write_failed_) LogError("cannot write audit log " + file_ + ": " + std::strerror(errno));
    write_failed_ = true;
  } else if (write_failed_) {
    LogInfo("audit log " + file_ + " is written again");
    write_failed_ = false;
  }
}

absl::Status AuditLog::Reopen() {
  if (file_.empty()) return absl::OkStatus();
  absl::StatusOr<UniqueFd> opened = OpenForAppend(file_);
  if (!opened.ok()) return opened.status();
  std::lock_guard lock(mu_);
  fd_ = std::move(*opened);
  write_failed_ = false;
  return absl::OkStatus();
}

}  // namespace pullsentry::plugin
