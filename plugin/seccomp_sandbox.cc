#include "plugin/seccomp_sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
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
  // Derived by tracing the daemon (strace -f) through the end-to-end suite —
  // pulls admitted and refused, policy reloads by file change and SIGHUP,
  // the control socket, metrics and audit log, verdict cache and ledger
  // writes, a hostile registry — plus what the libraries do on paths the
  // suite does not reach: DNS over UDP and NSS modules (sendmmsg, ioctl
  // FIONREAD, dlopen's mmap/mprotect), abort() (tgkill), the x86_64 and
  // aarch64 spellings of the same call (open/openat, stat/newfstatat,
  // epoll_wait/epoll_pwait). Names absent on an architecture are skipped.
  static const std::vector<std::string_view> kAllowed = {
      // memory
      "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
      // threads and waiting (clone is narrowed below, clone3 answered ENOSYS)
      "clone", "futex", "set_robust_list", "rseq", "set_tid_address", "exit", "exit_group", "gettid", "getpid",
      "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler", "nanosleep", "clock_nanosleep",
      "clock_gettime", "clock_getres", "gettimeofday", "time",
      // signals (kill and tgkill only towards this process, see below)
      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack", "restart_syscall", "kill",
      "tgkill",
      // files: policy, keys and trust store on reload; ledger, verdict cache,
      // metrics textfile and audit file writes (temporary, fsync, rename)
      "read", "write", "readv", "writev", "pread64", "pwrite64", "openat", "open", "close", "lseek", "fstat",
      "newfstatat", "stat", "lstat", "statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
      "getdents64", "getcwd", "fcntl", "rename", "renameat", "renameat2", "unlink", "unlinkat", "fsync", "fdatasync",
      "fchmod",
      // readiness: gRPC's and curl's event loops, inotify for policy changes
      // (pipes: wake-ups in libraries, and the sanitizers' memory probes)
      "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "eventfd2",
      "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "pipe", "pipe2",
      // network: socket() is narrowed to the families below
      "socket", "socketpair", "connect", "bind", "listen", "accept4", "getsockname", "getpeername", "getsockopt",
      "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
      // identity, limits (prlimit64 read-only), randomness; prctl and ioctl
      // narrowed below
      "getrandom", "uname", "sysinfo", "getrlimit", "prlimit64", "getuid", "geteuid", "getgid", "getegid", "prctl",
      "arch_prctl", "ioctl", "getrusage", "times",
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
      "seccomp",       "memfd_create", "process_madvise", "pidfd_getfd",  "kcmp",          "chmod",
      "fchmodat",      "link",        "linkat",         "symlink",        "symlinkat",     "truncate",
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
    } else if (name == "prctl") {
      // Thread names (gRPC, curl) and reading the capability bounding set
      // (libsystemd); not PR_SET_DUMPABLE, PR_SET_PTRACER, PR_SET_SECUREBITS,
      // capability drops or anything else.
      for (int option : {PR_SET_NAME, PR_GET_NAME, PR_CAPBSET_READ}) {
        rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(option)));
        if (rc != 0) break;
      }
    } else if (name == "ioctl") {
      // glibc's DNS resolver (FIONREAD), non-blocking and close-on-exec
      // switches, isatty(); not terminal injection (TIOCSTI) or device
      // ioctls. The request is compared as 32 bits, as the kernel reads it.
      for (unsigned long request : {FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, TCGETS}) {
        rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, *nr, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, request));
        if (rc != 0) break;
      }
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
