//===- ClientConnection.h - Whether a request's client is still there -*- C++ -*-===//
//
// cpp-httplib 0.11 (Debian's) tells a request handler nothing about its
// connection: a client that gives up on a long, non-streamed completion
// would keep its KV-cache slot busy until the generation ended. The
// handler finds its own socket from the addresses the request records
// (local and remote address and port identify one TCP connection) and
// asks the kernel whether the peer has closed it.
//
//===----------------------------------------------------------------------===//

#ifndef LLM_TOOLS_LLM_SERVER_CLIENTCONNECTION_H
#define LLM_TOOLS_LLM_SERVER_CLIENTCONNECTION_H

#include <string>

namespace llm::server {

class ClientConnection {
public:
  /// The connection between local and remote (numeric addresses, as
  /// httplib records them); one that cannot be found is never reported
  /// closed.
  ClientConnection(const std::string &localAddress, int localPort,
                   const std::string &remoteAddress, int remotePort);

  /// Whether the connection was found among the process's sockets.
  bool found() const { return fd_ >= 0; }

  /// True once the client has closed or reset the connection. Never
  /// blocks and never consumes data.
  bool closed() const;

private:
  int fd_ = -1;
};

} // namespace llm::server

#endif // LLM_TOOLS_LLM_SERVER_CLIENTCONNECTION_H
