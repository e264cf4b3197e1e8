#include "plugin/seccomp_sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/status/status.h"

namespace pullsentry::plugin {
namespace {

// Refuse, do not kill: an unexpected but harmless call deep inside gRPC,
// curl, glibc or OpenSSL (a new glibc version probing for a new syscall, a
// rarely taken error path) must cost one failed call that the library
// handles, not the process — and with it every pull on the node. The calls
// that matter for an attacker are refused either way.
constexpr uint32_t kDeniedAction = SCMP_ACT_ERRNO(EPERM);

// Namespace flags a thread must never be created with.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET
                                     | 0x80 /* CLONE_NEWTIME, Linux 5.6 */;

struct ScmpCtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using ScmpCtxPtr = std::unique_ptr<void, ScmpCtxDeleter>;

absl::Status ScmpError(const std::string& what, int rc) {
  return absl::InternalError("seccomp: " + what + ": " + std::strerror(-rc));
}

// Resolved for the native architecture; nullopt when it has no such call
// (e.g. open, stat or epoll_wait on aarch64, which only has the *at forms).
std::optional<int> Resolve(std::string_view name) {
  int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
  if (nr == __NR_SCMP_ERROR || nr < 0) return std::nullopt;
  return nr;
}

}  // namespace

const std::vector<std::string_view>& AllowedSyscalls() {
  // Derived by tracing the daemon through the end-to-end suite (strace -f)
  // plus what the libraries do on paths the suite does not reach (DNS over
  // UDP and NSS modules, TLS, the control socket, metrics listener, state
  // files). Names absent on an architecture are skipped.
  static const std::vector<std::string_view> kAllowed = {
      // memory
      "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "membarrier",
      // threads and waiting (clone is narrowed below, clone3 answered ENOSYS)
      "clone", "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "exit", "exit_group",
      "gettid", "getpid", "getppid", "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler",
      "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
      // signals (kill and tgkill only towards this process, see below)
      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending", "sigaltstack",
      "restart_syscall", "kill", "tgkill",
      // files: policy and keys on reload, the tag ledger, cache and audit files
      "read", "write", "readv", "writev", "pread64", "pwrite64", "openat", "open", "close", "lseek", "fstat",
      "newfstatat", "stat", "lstat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink",
      "readlinkat", "getdents64", "getcwd", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "rename", "renameat",
      "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "fsync", "fdatasync", "ftruncate", "fchmod", "chmod",
      "fchmodat", "umask", "flock",
      // readiness: gRPC's and curl's event loops, inotify for policy changes
      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
      "select", "pselect6", "eventfd", "eventfd2", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
      "timerfd_create", "timerfd_settime", "timerfd_gettime",
      // network: socket() is narrowed to the families below
      "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "getsockname", "getpeername",
      "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
      // identity, limits (prlimit64 read-only), randomness, the rest
      "getrandom", "uname", "sysinfo", "getrlimit", "prlimit64", "getuid", "geteuid", "getgid", "getegid",
      "getresuid", "getresgid", "getgroups", "prctl", "arch_prctl", "ioctl", "getrusage", "times",
      "getpriority", "sched_get_priority_min", "sched_get_priority_max",
  };
  return kAllowed;
}

const std::vector<std::string_view>& ForbiddenSyscalls() {
  static const std::vector<std::string_view> kForbidden = {
      "execve",        "execveat",    "ptrace",         "mount",          "umount2",       "pivot_root",
      "chroot",        "kexec_load",  "kexec_file_load", "init_module",   "finit_module",  "delete_module",
      "bpf",           "perf_event_open", "process_vm_readv", "process_vm_writev", "setns", "unshare",
      "keyctl",        "add_key",     "request_key",    "fork",           "vfork",         "clone3",
      "open_by_handle_at", "name_to_handle_at", "userfaultfd", "swapon", "swapoff", "reboot",
      "fsopen",        "fsmount",     "move_mount",     "open_tree",      "setuid",        "setgid",
      "setreuid",      "setregid",    "setresuid",      "setresgid",      "setgroups",     "capset",
      "chown",         "fchown",      "fchownat",       "lchown",         "mknod",         "mknodat",
      "iopl",          "ioperm",      "settimeofday",   "clock_settime",  "adjtimex",      "sethostname",
      "setdomainname", "acct",        "quotactl",       "lookup_dcookie", "uselib",        "personality",
      "seccomp",       "memfd_create", "process_madvise", "pidfd_getfd",  "kcmp",
  };
  return kForbidden;
}

absl::StatusOr<SandboxReport> InstallSeccompSandbox() {
  // Without no_new_privs an unprivileged process may not install a filter,
  // and nothing this process could still exec (it cannot) should gain
  // privileges either.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return absl::InternalError(std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + std::strerror(errno));

  ScmpCtxPtr ctx(seccomp_init(kDeniedAction));
  if (!ctx) return absl::InternalError("seccomp: cannot create a filter context");
  // All threads, including gRPC's, curl's and the policy watcher started
  // before this call; load fails rather than leaving one thread unconfined.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0)
    return ScmpError("thread synchronisation", rc);

  const auto& forbidden = ForbiddenSyscalls();
  SandboxReport report;
  const pid_t self = ::getpid();
  for (std::string_view name : AllowedSyscalls()) {
    if (std::find(forbidden.begin(), forbidden.end(), name) != forbidden.end())
      return absl::InternalError("seccomp: " + std::string(name) + " is both allowed and forbidden");
    std::optional<int> nr = Resolve(name);
    if (!nr) {
      report.skipped.emplace_back(name);
      continue;
    }
    int rc = 0;
    if (name == "clone") {
      // Threads only: CLONE_THREAD set, no namespace flag. A fork (no
      // CLONE_THREAD) or a new namespace is refused.
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1,
                            SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags | CLONE_THREAD, CLONE_THREAD));
    } else if (name == "kill" || name == "tgkill") {
      // abort(), raise() and gRPC signal only this process.
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(self)));
    } else if (name == "prlimit64") {
      // Reading limits (glibc's getrlimit) is fine; raising them is not.
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1, SCMP_A2(SCMP_CMP_EQ, 0));
    } else if (name == "socket") {
      // Unix sockets (CRI, control, sd_notify), IPv4/IPv6 (registries, DNS,
      // metrics) and netlink (getaddrinfo's AI_ADDRCONFIG) — no raw packet
      // or other exotic families, whose kernel code is rarely exercised.
      for (int family : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK}) {
        rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(family)));
        if (rc != 0) break;
      }
    } else {
      rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 0);
    }
    if (rc != 0) return ScmpError("allow " + std::string(name), rc);
    ++report.allowed;
  }
  // glibc's pthread_create tries clone3 first and falls back to clone on
  // ENOSYS. clone3 passes its flags in memory, where a filter cannot look, so
  // it is answered "not implemented" and threads go through the checked clone.
  if (std::optional<int> nr = Resolve("clone3")) {
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), *nr, 0); rc != 0)
      return ScmpError("clone3", rc);
  }
  if (int rc = seccomp_load(ctx.get()); rc != 0) return ScmpError("load", rc);
  return report;
}

}  // namespace pullsentry::plugin
