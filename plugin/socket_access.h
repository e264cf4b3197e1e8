// Who may connect to the CRI socket: mode 0660, owner the daemon's user
// (root), group --socket-group when one is named. The runtime's own CRI
// socket is root-only for the same reason: whoever can pull can run code.
#ifndef PULLSENTRY_PLUGIN_SOCKET_ACCESS_H_
#define PULLSENTRY_PLUGIN_SOCKET_ACCESS_H_

#include <string>

#include "absl/status/status.h"

namespace pullsentry::plugin {

// chmod 0660 `path`, then, if `group` is not empty, give it to that group.
// Errors: NotFound when the group does not exist (the socket stays usable by
// its owner only), or the failing call's error naming the path. A socket
// that already has the group is left alone, so a service whose primary
// group is `group` needs no CAP_CHOWN and no chown system call.
absl::Status RestrictSocketAccess(const std::string& path, const std::string& group);

}  // namespace pullsentry::plugin

#endif  // PULLSENTRY_PLUGIN_SOCKET_ACCESS_H_
