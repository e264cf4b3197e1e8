// Where the metrics go: a tiny HTTP/1.1 endpoint answering GET /metrics on
// loopback or a unix socket, and node_exporter's textfile collector (a .prom
// file replaced atomically every few seconds). Both are off by default.
//
// The endpoint only ever listens on loopback (127.0.0.0/8, ::1) or a unix
// socket: the metrics describe the node's pulls and nothing on the network
// needs them directly — scrape through node_exporter or a local agent.
#ifndef PULLSENTRY_PLUGIN_METRICS_EXPORT_H_
#define PULLSENTRY_PLUGIN_METRICS_EXPORT_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "plugin/unique_fd.h"

namespace pullsentry::plugin {

// Renders the exposition text; called on the exporter's thread.
using MetricsRenderer = std::function<std::string()>;

struct MetricsListenAddress {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // numeric loopback address (tcp)
  int port = 0;      // tcp
  std::string path;  // unix socket
};

// "127.0.0.1:9464", "[::1]:9464" or "unix:///run/pullsentry/metrics.sock".
// InvalidArgument for anything else, including non-loopback addresses and
// host names (no name is resolved).
absl::StatusOr<MetricsListenAddress> ParseMetricsListen(const std::string& text);

class MetricsHttpServer {
 public:
  struct Limits {
    size_t max_request_bytes = 8192;                  // request line and headers
    std::chrono::milliseconds io_timeout{5000};       // for one whole request/response
  };

  // Binds and listens now (so a bad address fails start-up), then serves on
  // a thread of its own, one connection at a time.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const MetricsListenAddress& address,
                                                                  MetricsRenderer render, Limits limits);
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const MetricsListenAddress& address,
                                                                  MetricsRenderer render) {
    return Start(address, std::move(render), Limits());
  }
  ~MetricsHttpServer();  // stops the thread; removes a unix socket it made
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }  // the bound TCP port (useful with port 0)

 private:
  MetricsHttpServer(UniqueFd listener, UniqueFd stop, MetricsRenderer render, Limits limits)
      : listener_(std::move(listener)), stop_(std::move(stop)), render_(std::move(render)), limits_(limits) {}
  void Serve();
  void HandleConnection(int fd);

  UniqueFd listener_;
  UniqueFd stop_;  // eventfd that ends Serve()
  const MetricsRenderer render_;
  const Limits limits_;
  int port_ = 0;
  std::string unix_path_;
  std::thread thread_;
};

// The textfile must end in ".prom" (node_exporter reads nothing else) and
// its directory must exist.
absl::Status ValidateTextfilePath(const std::string& path);

// Writes `text` to `path` atomically: a temporary file beside it (not ending
// in .prom, so the collector never reads it half-written), fsync, rename.
absl::Status WriteTextfileAtomically(const std::string& path, const std::string& text);

class MetricsTextfileWriter {
 public:
  // Writes once now (an error fails start-up), then every `interval` on a
  // thread of its own, and a last time when destroyed.
  static absl::StatusOr<std::unique_ptr<MetricsTextfileWriter>> Start(const std::string& path,
                                                                      std::chrono::seconds interval,
                                                                      MetricsRenderer render);
  ~MetricsTextfileWriter();
  MetricsTextfileWriter(const MetricsTextfileWriter&) = delete;
  MetricsTextfileWriter& operator=(const MetricsTextfileWriter&) = delete;

 private:
  MetricsTextfileWriter(std::string path, std::chrono::seconds interval, MetricsRenderer render)
      : path_(std::move(path)), interval_(interval), render_(std::move(render)) {}
  void Loop();
  void WriteNow();

  const std::string path_;
  const std::chrono::seconds interval_;
  const MetricsRenderer render_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failing_ = false;  // log a failing write once per streak
  std::thread thread_;
};

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_METRICS_EXPORT_H_
