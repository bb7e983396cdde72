#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include "adapters/http/listener.hpp"

#include <memory>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/server_core.hpp"
#include "adapters/http/session.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;

listener::listener(std::vector<io_worker*> workers)
  : workers_(std::move(workers)),
    acceptor_(workers_.front()->ioc),
    backoff_(workers_.front()->ioc) {
  // nop
}

uint16_t listener::open(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver{workers_.front()->ioc};
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty())
      throw std::runtime_error("http: cannot resolve " + host + ": " + ec.message());
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint ep{address, port};
  auto fail = [&](const char* what) {
    throw std::runtime_error("http: cannot " + std::string{what} + " " + host + ":"
                             + std::to_string(port) + ": " + ec.message());
  };
  if (acceptor_.open(ep.protocol(), ec); ec)
    fail("open");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec)
    fail("configure");
  if (acceptor_.bind(ep, ec); ec)
    fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec)
    fail("listen on");
  return acceptor_.local_endpoint().port();
}

void listener::start() {
  asio::post(acceptor_.get_executor(), [this] { do_accept(); });
}

void listener::close() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
  });
}

void listener::do_accept() {
  if (!acceptor_.is_open())
    return;
  auto* target = workers_[next_++ % workers_.size()];
  acceptor_.async_accept(target->ioc, [this, target](boost::system::error_code ec,
                                                     tcp_socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      backoff_.expires_after(std::chrono::milliseconds{50});
      backoff_.async_wait([this](boost::system::error_code ec) {
        if (!ec)
          do_accept();
      });
      return;
    }
    // The socket already belongs to target's io_context; start it there.
    if (target == workers_.front())
      std::make_shared<session>(*target, std::move(socket))->start();
    else
      asio::post(target->ioc, [target, s = std::move(socket)]() mutable {
        std::make_shared<session>(*target, std::move(s))->start();
      });
    do_accept();
  });
}

} // namespace weft::http
