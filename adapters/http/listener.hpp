#pragma once

#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>

namespace weft::http {

class io_worker;

/// Accepts connections on the first worker's thread and hands each socket
/// to the next worker, round robin.
class listener {
public:
  /// Accepts on `workers[0]`'s io_context.
  explicit listener(std::vector<io_worker*> workers);

  /// Binds and listens; returns the bound port. Throws std::runtime_error.
  uint16_t open(const std::string& host, uint16_t port);

  /// Starts accepting. Any thread.
  void start();

  /// Closes the acceptor: new connections are refused. Any thread.
  void close();

private:
  void do_accept();

  std::vector<io_worker*> workers_;
  boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, boost::asio::io_context::executor_type>
    acceptor_;
  boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                   boost::asio::wait_traits<std::chrono::steady_clock>,
                                   boost::asio::io_context::executor_type>
    backoff_; ///< after accept errors such as EMFILE
  size_t next_ = 0;
};

} // namespace weft::http
