#include "plugin/control/control_server.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <poll.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/status/status.h"
#include "plugin/control/unix_socket.h"

namespace pullsentry::control {

// State the connection threads share with the server. Held by shared_ptr so
// a thread still finishing a slow verify after Stop's grace never touches
// freed memory.
struct ControlServer::Shared {
  ControlHandlers handlers;
  ControlServerOptions options;
  UniqueFd listen_fd;
  UniqueFd stop_fd;  // an eventfd: readable once Stop was called
  std::mutex mu;
  std::condition_variable idle;
  size_t active = 0;

  void Warn(std::string_view message) const {
    if (options.log_warning) options.log_warning(message);
  }
};

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string NotAvailable(const char* op) { return ErrorLine(std::string(op) + " not available in this daemon"); }

// Serves one connection: request lines until the peer closes, idles past the
// timeout, or the server stops.
void ServeConnection(const std::shared_ptr<ControlServer::Shared>& shared, UniqueFd fd);

}  // namespace

std::string HandleRequestLine(const ControlHandlers& handlers, std::string_view line) {
  absl::StatusOr<ControlRequest> request = ParseRequest(line);
  if (!request.ok()) return ErrorLine(std::string(request.status().message()));
  switch (request->op) {
    case Operation::kStatus:
      if (!handlers.status) return NotAvailable("status");
      return OkLine({{"status", StatusToJson(handlers.status())}});
    case Operation::kCacheList: {
      if (!handlers.cache_list) return ErrorLine("cache not enabled in this daemon");
      absl::StatusOr<nlohmann::json> entries = handlers.cache_list();
      if (!entries.ok()) return ErrorLine("cache-list: " + std::string(entries.status().message()));
      return OkLine({{"entries", *entries}});
    }
    case Operation::kCacheFlush: {
      if (!handlers.cache_flush) return ErrorLine("cache not enabled in this daemon");
      absl::StatusOr<uint64_t> flushed = handlers.cache_flush();
      if (!flushed.ok()) return ErrorLine("cache-flush: " + std::string(flushed.status().message()));
      return OkLine({{"flushed", *flushed}});
    }
    case Operation::kVerify: {
      if (!handlers.verify) return NotAvailable("verify");
      absl::StatusOr<VerifyAnswer> answer = handlers.verify(request->verify);
      if (!answer.ok()) return ErrorLine("cannot verify: " + std::string(answer.status().message()));
      return OkLine(VerifyAnswerToJson(*answer));
    }
  }
  return ErrorLine("unknown operation");
}

namespace {

void ServeConnection(const std::shared_ptr<ControlServer::Shared>& shared, UniqueFd fd) {
  std::string buffer;
  for (;;) {
    auto deadline = std::chrono::steady_clock::now() + shared->options.idle_timeout;
    absl::StatusOr<std::string> line =
        ReadLine(fd.get(), &buffer, kMaxRequestBytes, deadline, shared->stop_fd.get());
    if (!line.ok()) {
      if (absl::IsResourceExhausted(line.status())) {
        (void)WriteAll(fd.get(), ErrorLine(std::string(line.status().message())) + "\n",
                       std::chrono::steady_clock::now() + kWriteTimeout);
      }
      return;  // closed, idle, oversized or stopping: the conversation is over
    }
    std::string answer = HandleRequestLine(shared->handlers, *line) + "\n";
    if (absl::Status written = WriteAll(fd.get(), answer, std::chrono::steady_clock::now() + kWriteTimeout);
        !written.ok()) {
      shared->Warn("control socket: " + std::string(written.message()));
      return;
    }
  }
}

// Binds `path` and narrows it to 0600 at once. For the instant between the
// two the mode is what the umask left; the peer-credential check on every
// connection keeps that instant harmless. (Binding a temporary name and
// renaming it would close the gap but needs a longer path, and sun_path is
// only 108 bytes.)
absl::Status BindPrivately(int fd, const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path))
    return absl::InvalidArgumentError("control socket path \"" + path + "\" is longer than " +
                                      std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  std::memcpy(address.sun_path, path.data(), path.size());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0)
    return absl::InternalError(Errno("bind " + path));
  if (::chmod(path.c_str(), 0600) != 0) {
    absl::Status error = absl::InternalError(Errno("chmod " + path));
    ::unlink(path.c_str());
    return error;
  }
  return absl::OkStatus();
}

// Clears the way for our socket: a stale socket is removed, a live one or a
// non-socket is left alone and reported.
absl::Status ClaimPath(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InternalError(Errno("stat " + path));
  }
  if (!S_ISSOCK(info.st_mode))
    return absl::FailedPreconditionError(path + " exists and is not a socket; remove it or choose --control-socket");
  if (absl::StatusOr<UniqueFd> live = ConnectUnix(path); live.ok())
    return absl::FailedPreconditionError("another process already answers on " + path);
  ::unlink(path.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(ControlServerOptions options,
                                                                    ControlHandlers handlers) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(options.socket_path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return absl::InternalError("create " + parent.string() + ": " + ec.message());
    ::chmod(parent.c_str(), 0755);
  }
  if (absl::Status claimed = ClaimPath(options.socket_path); !claimed.ok()) return claimed;

  auto shared = std::make_shared<Shared>();
  shared->handlers = std::move(handlers);
  shared->options = options;
  shared->listen_fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!shared->listen_fd.valid()) return absl::InternalError(Errno("socket"));
  shared->stop_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!shared->stop_fd.valid()) return absl::InternalError(Errno("eventfd"));
  if (absl::Status bound = BindPrivately(shared->listen_fd.get(), options.socket_path); !bound.ok()) return bound;
  if (::listen(shared->listen_fd.get(), 16) != 0) {
    absl::Status error = absl::InternalError(Errno("listen " + options.socket_path));
    ::unlink(options.socket_path.c_str());
    return error;
  }
  std::unique_ptr<ControlServer> server(new ControlServer(std::move(options), shared));
  server->accept_thread_ = std::thread(&ControlServer::AcceptLoop, shared);
  return server;
}

ControlServer::ControlServer(ControlServerOptions options, std::shared_ptr<Shared> shared)
    : options_(std::move(options)), shared_(std::move(shared)) {}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  uint64_t one = 1;
  (void)!::write(shared_->stop_fd.get(), &one, sizeof(one));
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::unique_lock lock(shared_->mu);
    shared_->idle.wait_for(lock, grace, [&] { return shared_->active == 0; });
  }
  ::unlink(options_.socket_path.c_str());
}

void ControlServer::AcceptLoop(std::shared_ptr<Shared> shared) {
  for (;;) {
    pollfd fds[2] = {{shared->listen_fd.get(), POLLIN, 0}, {shared->stop_fd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      shared->Warn(Errno("control socket: poll"));
      return;
    }
    if (fds[1].revents & POLLIN) return;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd connection(::accept4(shared->listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!connection.valid()) {
      // Out of descriptors or memory: back off instead of spinning on a
      // listener that stays readable. Anything else was one peer's problem.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }

    auto refuse = [&](const std::string& reason) {
      (void)WriteAll(connection.get(), ErrorLine(reason) + "\n",
                     std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    };
    // The socket's mode already keeps others out; the peer's credentials
    // are checked too, in case the mode or the directory was loosened.
    absl::StatusOr<uid_t> uid = PeerUid(connection.get());
    if (!uid.ok() || (*uid != 0 && *uid != shared->options.allowed_uid)) {
      std::string who = uid.ok() ? "uid " + std::to_string(*uid) : std::string(uid.status().message());
      shared->Warn("control socket: refused a peer with " + who + " (root only)");
      refuse("permission denied: the control socket answers root only (you are " + who + ")");
      continue;
    }
    {
      std::lock_guard lock(shared->mu);
      if (shared->active >= kMaxConnections) {
        refuse("busy: too many control connections, try again");
        continue;
      }
      ++shared->active;
    }
    std::thread([shared, fd = std::move(connection)]() mutable {
      ServeConnection(shared, std::move(fd));
      std::lock_guard lock(shared->mu);
      --shared->active;
      shared->idle.notify_all();
    }).detach();
  }
}

}  // namespace pullsentry::control
