#include "tools/common/http_get.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace sharechain::tools {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline; false when the time ran out.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

// Headers plus body length, once the headers are in and name a Content-Length.
std::optional<std::size_t> content_length(const std::string& reply) {
  const std::size_t head_end = reply.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  std::string head = reply.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = head.find("\r\ncontent-length:");
  if (at == std::string::npos) return std::nullopt;
  return head_end + 4 +
         static_cast<std::size_t>(std::strtoull(head.c_str() + at + 17, nullptr, 10));
}

}  // namespace

Outcome<HttpResponse> http_get(std::string_view address, std::string_view path,
                               std::chrono::milliseconds timeout) {
  const std::string where = "http://" + std::string(address) + std::string(path);
  const std::string late =
      "no answer from " + where + " within " + std::to_string(timeout.count()) + " ms";
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return Failure::usage("not HOST:PORT: '" + std::string(address) + "'");
  std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Failure::unreachable("cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  std::string error = "no address for " + host;
  int fd_raw = -1;
  for (addrinfo* ai = res; ai != nullptr && fd_raw < 0; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_raw = fd;
      break;
    }
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    if (!wait_for(fd, POLLOUT, deadline)) {
      ::close(fd);
      ::freeaddrinfo(res);
      return Failure::unreachable(late);
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      error = std::strerror(err);
      ::close(fd);
      continue;
    }
    fd_raw = fd;
  }
  ::freeaddrinfo(res);
  if (fd_raw < 0) return Failure::unreachable("cannot connect to " + where + ": " + error);
  Fd fd(fd_raw);

  const std::string request = "GET " + std::string(path) +
                              " HTTP/1.1\r\nHost: " + std::string(address) +
                              "\r\nConnection: close\r\nAccept: */*\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) return Failure::unreachable(late);
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Failure::unreachable("cannot send to " + where + ": " + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[16384];
  for (;;) {
    if (!wait_for(fd.get(), POLLIN, deadline)) return Failure::unreachable(late);
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Failure::unreachable("cannot read from " + where + ": " + std::strerror(errno));
    }
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() > (64u << 20)) return Failure::refused(where + " sent more than 64 MiB");
    // A server that keeps the connection open anyway has said how long its body is.
    if (const auto length = content_length(reply); length && reply.size() >= *length) break;
  }
  // "HTTP/1.1 200 OK\r\n...headers...\r\n\r\nbody"
  HttpResponse out;
  const std::size_t sp = reply.find(' ');
  const std::size_t head_end = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/", 0) != 0 || sp == std::string::npos || head_end == std::string::npos) {
    return Failure::refused(where + " did not answer HTTP");
  }
  out.status = std::atoi(reply.c_str() + sp + 1);
  out.body = reply.substr(head_end + 4);
  return out;
}

}  // namespace sharechain::tools
