//===- ClientConnection.cpp - Whether a request's client is still there ---===//

#include "ClientConnection.h"

#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

using namespace llm::server;

namespace {

/// The numeric address and port of `address`, as httplib spells them.
bool numericName(const sockaddr_storage &address, socklen_t length,
                 std::string &host, int &port) {
  char hostBuffer[NI_MAXHOST], portBuffer[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr *>(&address), length,
                  hostBuffer, sizeof(hostBuffer), portBuffer,
                  sizeof(portBuffer), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return false;
  host = hostBuffer;
  port = std::atoi(portBuffer);
  return true;
}

bool matches(int fd, const std::string &localAddress, int localPort,
             const std::string &remoteAddress, int remotePort) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  std::string host;
  int port = -1;
  if (getpeername(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0 ||
      !numericName(address, length, host, port) || port != remotePort ||
      host != remoteAddress)
    return false;
  length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0 ||
      !numericName(address, length, host, port))
    return false;
  return port == localPort && host == localAddress;
}

} // namespace

ClientConnection::ClientConnection(const std::string &localAddress,
                                   int localPort,
                                   const std::string &remoteAddress,
                                   int remotePort) {
  if (localPort < 0 || remotePort < 0)
    return;
  DIR *directory = opendir("/proc/self/fd");
  if (!directory)
    return;
  int self = dirfd(directory);
  while (dirent *entry = readdir(directory)) {
    char *end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == self)
      continue;
    struct stat status;
    if (fstat(static_cast<int>(fd), &status) != 0 || !S_ISSOCK(status.st_mode))
      continue;
    if (matches(static_cast<int>(fd), localAddress, localPort, remoteAddress,
                remotePort)) {
      fd_ = static_cast<int>(fd);
      break;
    }
  }
  closedir(directory);
}

bool ClientConnection::closed() const {
  if (fd_ < 0)
    return false;
  pollfd watch{fd_, POLLIN | POLLRDHUP, 0};
  if (poll(&watch, 1, 0) <= 0)
    return false;
  if (watch.revents & (POLLRDHUP | POLLHUP | POLLERR))
    return true;
  // Readable: either more requests pipelined behind this one (still
  // connected) or the end of the stream.
  char byte;
  return recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}
