#include "plugin/seccomp_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <thread>

namespace pullsentry::plugin {
namespace {

// Runs `body` in a forked child that first installs the daemon's filter
// (which cannot be undone, hence the child). Returns the child's exit code:
// 0 when every check held, else the number of the first one that failed.
int InSandboxedChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    absl::StatusOr<SandboxReport> installed = InstallSeccompSandbox();
    if (!installed.ok()) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -2;
  if (WIFSIGNALED(status)) return 200 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

TEST(SeccompSandbox, InstallsInAChild) {
  EXPECT_EQ(InSandboxedChild([] { return 0; }), 0);
}

TEST(SeccompSandbox, ExecveIsRefusedWithEpermWhileAllowedCallsWork) {
  int result = InSandboxedChild([] {
    // Allowed: files, identity, sockets of the families the daemon uses.
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    ::close(fd);
    if (::getpid() <= 0) return 2;
    int unix_socket = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (unix_socket < 0) return 3;
    ::close(unix_socket);
    // Refused, and the process lives on to see the error.
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    char* const envp[] = {nullptr};
    errno = 0;
    if (::execve("/bin/true", argv, envp) != -1 || errno != EPERM) return 4;
    return 0;
  });
  EXPECT_EQ(result, 0);
}

TEST(SeccompSandbox, ThreadsStartButForksAndNamespacesAreRefused) {
  int result = InSandboxedChild([] {
    // pthread_create: clone3 answers ENOSYS, glibc falls back to clone with
    // CLONE_THREAD, which the filter lets through.
    bool ran = false;
    std::thread([&ran] { ran = true; }).join();
    if (!ran) return 1;
    errno = 0;
    if (::fork() != -1 || errno != EPERM) return 2;
    errno = 0;
    if (::unshare(CLONE_NEWUSER) != -1 || errno != EPERM) return 3;
    errno = 0;
    if (::socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EPERM) return 4;
    errno = 0;
    if (::chroot("/") != -1 || errno != EPERM) return 5;
    return 0;
  });
  EXPECT_EQ(result, 0);
}

TEST(SeccompSandbox, PrctlAndIoctlOnlyForWhatTheLibrariesNeed) {
  int result = InSandboxedChild([] {
    if (::prctl(PR_SET_NAME, "sandboxed", 0, 0, 0) != 0) return 1;
    int value = 0;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::ioctl(fd, FIONREAD, &value) != 0) return 2;
    ::close(fd);
    errno = 0;
    if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != -1 || errno != EPERM) return 3;
    char c = 'x';
    errno = 0;
    if (::ioctl(0, TIOCSTI, &c) != -1 || errno != EPERM) return 4;
    errno = 0;
    if (::chmod("/", 0755) != -1 || errno != EPERM) return 5;
    return 0;
  });
  EXPECT_EQ(result, 0);
}

TEST(SeccompSandbox, SignalsOnlyToItself) {
  int result = InSandboxedChild([] {
    if (::kill(::getpid(), 0) != 0) return 1;
    errno = 0;
    if (::kill(1, 0) != -1 || errno != EPERM) return 2;
    return 0;
  });
  EXPECT_EQ(result, 0);
}

TEST(SeccompSandbox, NoForbiddenCallIsAllowed) {
  const auto& forbidden = ForbiddenSyscalls();
  for (std::string_view name : AllowedSyscalls())
    EXPECT_EQ(std::find(forbidden.begin(), forbidden.end(), name), forbidden.end()) << name;
  for (std::string_view name : {"execve", "execveat", "ptrace", "mount", "umount2", "pivot_root", "chroot",
                                "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
                                "bpf", "perf_event_open", "process_vm_readv", "process_vm_writev", "setns",
                                "unshare", "keyctl", "add_key"})
    EXPECT_NE(std::find(forbidden.begin(), forbidden.end(), name), forbidden.end()) << name;
}

// A misspelt name would be skipped silently on every architecture.
TEST(SeccompSandbox, EveryNameExistsOnX86_64OrAarch64) {
  for (std::string_view name : AllowedSyscalls()) {
    std::string n(name);
    bool x86 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, n.c_str()) >= 0;
    bool arm = seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, n.c_str()) >= 0;
    EXPECT_TRUE(x86 || arm) << name;
  }
}

}  // namespace
}  // namespace pullsentry::plugin
