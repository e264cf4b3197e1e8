#include "plugin/metrics_export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "plugin/logging.h"

namespace pullsentry::plugin {
namespace {

absl::Status ErrnoError(const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(errno), what + ": " + std::strerror(errno));
}

absl::StatusOr<int> ParsePort(std::string_view text, const std::string& whole) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
    return absl::InvalidArgumentError("--metrics-listen \"" + whole + "\": the port must be 1-65535");
  return port;
}

// Milliseconds left until `deadline`, for poll(2); 0 when past.
int MillisLeft(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits until `fd` is ready for `events` or the deadline passes or `stop` fires.
bool WaitFor(int fd, short events, int stop, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    pollfd fds[2] = {{fd, events, 0}, {stop, POLLIN, 0}};
    int timeout = MillisLeft(deadline);
    if (timeout == 0) return false;
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (fds[1].revents & POLLIN)) return false;
    return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

std::string Response(int code, std::string_view status, std::string_view content_type, const std::string& body,
                     bool head_only, std::string_view extra_headers = "") {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(status) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += std::string(extra_headers);
  out += "Connection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace

absl::StatusOr<MetricsListenAddress> ParseMetricsListen(const std::string& text) {
  MetricsListenAddress address;
  if (text.starts_with("unix://")) {
    address.kind = MetricsListenAddress::Kind::kUnix;
    address.path = text.substr(7);
    if (address.path.empty() || address.path[0] != '/')
      return absl::InvalidArgumentError("--metrics-listen \"" + text + "\": want unix:///absolute/path");
    if (address.path.size() >= sizeof(sockaddr_un::sun_path))
      return absl::InvalidArgumentError("--metrics-listen \"" + text + "\": socket path too long");
    return address;
  }
  std::string host;
  std::string_view port;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return absl::InvalidArgumentError("--metrics-listen \"" + text + "\": want [::1]:PORT");
    host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos)
      return absl::InvalidArgumentError("--metrics-listen \"" + text +
                                        "\": want 127.0.0.1:PORT, [::1]:PORT or unix:///path");
    host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  absl::StatusOr<int> parsed_port = ParsePort(port, text);
  if (!parsed_port.ok()) return parsed_port.status();
  address.port = *parsed_port;
  address.host = host;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127)
      return absl::InvalidArgumentError("--metrics-listen \"" + text +
                                        "\": only loopback addresses are served (127.0.0.0/8, ::1, or a unix socket)");
    return address;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6))
      return absl::InvalidArgumentError("--metrics-listen \"" + text +
                                        "\": only loopback addresses are served (127.0.0.0/8, ::1, or a unix socket)");
    return address;
  }
  return absl::InvalidArgumentError("--metrics-listen \"" + text +
                                    "\": want a numeric loopback address (127.0.0.1:PORT or [::1]:PORT); "
                                    "names are not resolved");
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(const MetricsListenAddress& address,
                                                                            MetricsRenderer render, Limits limits) {
  UniqueFd listener;
  int port = 0;
  std::string unix_path;
  if (address.kind == MetricsListenAddress::Kind::kUnix) {
    struct stat st {};
    if (::lstat(address.path.c_str(), &st) == 0) {
      // Replace a stale socket from an earlier run, but never anything else.
      if (!S_ISSOCK(st.st_mode))
        return absl::FailedPreconditionError("metrics socket " + address.path + " exists and is not a socket");
      ::unlink(address.path.c_str());
    }
    listener.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener.valid()) return ErrnoError("metrics socket");
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address.path.c_str(), address.path.size() + 1);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
      return ErrnoError("cannot listen for metrics on unix://" + address.path);
    ::chmod(address.path.c_str(), 0660);  // root and the socket's group, like the CRI socket
    unix_path = address.path;
  } else {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage); ::inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<uint16_t>(address.port));
      length = sizeof(sockaddr_in);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
      if (::inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) != 1)
        return absl::InvalidArgumentError("metrics address " + address.host + " is not numeric");
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(static_cast<uint16_t>(address.port));
      length = sizeof(sockaddr_in6);
    }
    listener.Reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener.valid()) return ErrnoError("metrics socket");
    int one = 1;
    ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0)
      return ErrnoError("cannot listen for metrics on " + address.host + ":" + std::to_string(address.port));
    socklen_t bound_length = sizeof storage;
    ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&storage), &bound_length);
    port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  if (::listen(listener.get(), 16) != 0) return ErrnoError("metrics listen");
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop.valid()) return ErrnoError("metrics eventfd");
  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(std::move(listener), std::move(stop), std::move(render), limits));
  server->port_ = port;
  server->unix_path_ = unix_path;
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void MetricsHttpServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client.valid()) {
      // Out of descriptors or memory: the connection stays queued and poll
      // would wake at once, so back off instead of spinning.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pollfd stop = {stop_.get(), POLLIN, 0};
        if (::poll(&stop, 1, 100) > 0) return;
      }
      continue;  // the peer went away: take the next one
    }
    HandleConnection(client.get());
  }
}

void MetricsHttpServer::HandleConnection(int fd) {
  // One deadline for the whole exchange: a slow or silent client costs at
  // most io_timeout, then the next scraper gets its turn.
  auto deadline = std::chrono::steady_clock::now() + limits_.io_timeout;
  std::string request;
  bool too_large = false;
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (request.size() >= limits_.max_request_bytes) {
      too_large = true;
      break;
    }
    if (!WaitFor(fd, POLLIN, stop_.get(), deadline)) return;
    char buffer[2048];
    size_t want = std::min(sizeof buffer, limits_.max_request_bytes - request.size());
    ssize_t got = ::recv(fd, buffer, want, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return;
    request.append(buffer, static_cast<size_t>(got));
  }

  std::string response;
  std::string_view line = std::string_view(request).substr(0, request.find("\r\n"));
  size_t first_space = line.find(' ');
  size_t second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  if (too_large) {
    response = Response(431, "Request Header Fields Too Large", kText, "request too large\n", false);
  } else if (second_space == std::string_view::npos || !line.substr(second_space + 1).starts_with("HTTP/1.")) {
    response = Response(400, "Bad Request", kText, "bad request\n", false);
  } else {
    std::string_view method = line.substr(0, first_space);
    std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
    std::string_view path = target.substr(0, target.find('?'));
    bool head = method == "HEAD";
    if (path != "/metrics") {
      response = Response(404, "Not Found", kText, "not found; metrics are at /metrics\n", head);
    } else if (method != "GET" && !head) {
      response = Response(405, "Method Not Allowed", kText, "only GET\n", false, "Allow: GET, HEAD\r\n");
    } else {
      response = Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", render_(), head);
    }
  }
  size_t sent = 0;
  while (sent < response.size()) {
    if (!WaitFor(fd, POLLOUT, stop_.get(), deadline)) return;
    ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
}

absl::Status ValidateTextfilePath(const std::string& path) {
  std::filesystem::path file(path);
  if (file.extension() != ".prom" || file.stem().empty())
    return absl::InvalidArgumentError("--metrics-textfile " + path +
                                      ": the name must end in .prom (node_exporter's textfile collector reads "
                                      "nothing else)");
  std::filesystem::path directory = file.parent_path().empty() ? "." : file.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    return absl::FailedPreconditionError("--metrics-textfile " + path + ": directory " + directory.string() +
                                         " does not exist");
  return absl::OkStatus();
}

absl::Status WriteTextfileAtomically(const std::string& path, const std::string& text) {
  // Not ending in .prom: the collector never picks up a half-written file.
  const std::string temporary = path + ".tmp";
  {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) return ErrnoError("cannot write metrics textfile " + temporary);
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        absl::Status error = ErrnoError("cannot write metrics textfile " + temporary);
        ::unlink(temporary.c_str());
        return error;
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      absl::Status error = ErrnoError("cannot sync metrics textfile " + temporary);
      ::unlink(temporary.c_str());
      return error;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    absl::Status error = ErrnoError("cannot replace metrics textfile " + path);
    ::unlink(temporary.c_str());
    return error;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsTextfileWriter>> MetricsTextfileWriter::Start(const std::string& path,
                                                                                    std::chrono::seconds interval,
                                                                                    MetricsRenderer render) {
  if (absl::Status valid = ValidateTextfilePath(path); !valid.ok()) return valid;
  if (absl::Status written = WriteTextfileAtomically(path, render()); !written.ok()) return written;
  std::unique_ptr<MetricsTextfileWriter> writer(new MetricsTextfileWriter(path, interval, std::move(render)));
  writer->thread_ = std::thread([raw = writer.get()] { raw->Loop(); });
  return writer;
}

MetricsTextfileWriter::~MetricsTextfileWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  WriteNow();  // the final counts, at shutdown
}

void MetricsTextfileWriter::Loop() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    WriteNow();
    lock.lock();
  }
}

void MetricsTextfileWriter::WriteNow() {
  absl::Status written = WriteTextfileAtomically(path_, render_());
  std::lock_guard lock(mu_);
  if (!written.ok() && !failing_) LogWarning(std::string(written.message()) + " (will keep trying)");
  if (written.ok() && failing_) LogInfo("metrics textfile " + path_ + " is written again");
  failing_ = !written.ok();
}

}  // namespace pullsentry::plugin
