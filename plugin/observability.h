// The daemon's observability, assembled from its flags: metrics (HTTP
// endpoint and/or textfile) and the audit log, fed by every pull decision.
// One object for main to hold, so its wiring stays a few lines.
#ifndef PULLSENTRY_PLUGIN_OBSERVABILITY_H_
#define PULLSENTRY_PLUGIN_OBSERVABILITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/audit_log.h"
#include "plugin/daemon_options.h"
#include "plugin/decision_observer.h"
#include "plugin/metrics.h"
#include "plugin/metrics_export.h"

namespace pullsentry::plugin {

class Observability {
 public:
  // Opens the audit file and starts the exporters the options ask for; an
  // unusable address or file fails start-up with the reason.
  static absl::StatusOr<std::unique_ptr<Observability>> Start(const DaemonOptions& options,
                                                              std::function<Metrics::ReloadCounts()> reloads);
  ~Observability();  // stops the exporters; the textfile gets its final counts

  Metrics& metrics() { return *metrics_; }
  // Every observer of decisions: the metrics and the audit log.
  std::vector<DecisionObserver*> observers() const;

  // SIGHUP: a new audit file after logrotate moved the old one. Logs failures.
  void Reopen();

 private:
  Observability() = default;

  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<MetricsHttpServer> http_;
  std::unique_ptr<MetricsTextfileWriter> textfile_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_OBSERVABILITY_H_
