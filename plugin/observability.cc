#include "plugin/observability.h"

#include <chrono>

#include "plugin/logging.h"

namespace pullsentry::plugin {

absl::StatusOr<std::unique_ptr<Observability>> Observability::Start(const DaemonOptions& options,
                                                                    std::function<Metrics::ReloadCounts()> reloads) {
  std::unique_ptr<Observability> self(new Observability());
  self->metrics_ = std::make_unique<Metrics>(PULLSENTRY_VERSION, std::chrono::system_clock::now());
  self->metrics_->SetReloadSource(std::move(reloads));
  Metrics* metrics = self->metrics_.get();
  MetricsRenderer render = [metrics] { return metrics->Render(); };

  absl::StatusOr<std::unique_ptr<AuditLog>> audit =
      AuditLog::Open(options.audit_log, [](std::string_view line) { LogInfo(line); });
  if (!audit.ok()) return audit.status();
  self->audit_ = std::move(*audit);

  if (!options.metrics_listen.empty()) {
    absl::StatusOr<MetricsListenAddress> address = ParseMetricsListen(options.metrics_listen);
    if (!address.ok()) return address.status();
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http = MetricsHttpServer::Start(*address, render);
    if (!http.ok()) return http.status();
    self->http_ = std::move(*http);
    LogInfo("metrics at " + options.metrics_listen + "/metrics");
  }
  if (!options.metrics_textfile.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsTextfileWriter>> textfile = MetricsTextfileWriter::Start(
        options.metrics_textfile, std::chrono::seconds(options.metrics_textfile_interval_seconds), render);
    if (!textfile.ok()) return textfile.status();
    self->textfile_ = std::move(*textfile);
  }
  return self;
}

Observability::~Observability() {
  http_.reset();
  textfile_.reset();  // writes the final counts
}

std::vector<DecisionObserver*> Observability::observers() const { return {metrics_.get(), audit_.get()}; }

void Observability::Reopen() {
  if (absl::Status reopened = audit_->Reopen(); !reopened.ok()) {
    LogError(std::string(reopened.message()) + "; audit records keep going to the previous file");
  }
}

}  // namespace pullsentry::plugin
