// The audit log: one JSON object per pull decision, on one line — to the
// journal (a log line "audit {...}") and, optionally, appended to a file
// that logrotate may move away (Reopen() on SIGHUP starts a new one).
//
// A record holds only what the decision was about and why: never registry
// credentials (DecisionRecord carries none, and nothing here reaches for
// them).
#ifndef PULLSENTRY_PLUGIN_AUDIT_LOG_H_
#define PULLSENTRY_PLUGIN_AUDIT_LOG_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "plugin/decision_observer.h"
#include "plugin/unique_fd.h"

namespace pullsentry::plugin {

// The record for one decision: time, requested, image, digest, namespace,
// scope, mode, action, verdict (admitted|refused|error), signers, reason,
// policy_hash, origin, cache_hit, elapsed_seconds (and error_code for errors).
nlohmann::json AuditRecord(const DecisionRecord& record);

// "2026-11-22T03:04:05.123Z".
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time);

class AuditLog final : public DecisionObserver {
 public:
  // Receives each record as one line without the newline (the journal).
  using Sink = std::function<void(std::string_view line)>;

  // `file`: "" for the journal only; otherwise opened for appending (created
  // 0600). `journal` may be empty to write the file only.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& file, Sink journal);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void OnDecision(const DecisionRecord& record) override;

  // Opens the file again by name (after logrotate renamed it). On failure
  // the previous file stays in use and the error is returned.
  absl::Status Reopen();

 private:
  AuditLog(std::string file, UniqueFd fd, Sink journal)
      : file_(std::move(file)), fd_(std::move(fd)), journal_(std::move(journal)) {}

  const std::string file_;
  std::mutex mu_;  // guards fd_ and orders whole lines
  UniqueFd fd_;  // invalid when there is no file
  bool write_failed_ = false;  // report a failing file once, not per pull
  const Sink journal_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_AUDIT_LOG_H_
