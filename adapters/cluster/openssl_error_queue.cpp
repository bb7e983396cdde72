// caf_openssl 0.17.6 never empties OpenSSL's per-thread error queue: it
// reads it only inside CAF_LOG_INFO, which Debian's build compiles out. One
// failed handshake (a peer without our CA's certificate, a port scanner,
// garbage bytes) leaves an error in the multiplexer thread's queue, and the
// next SSL_read of a healthy connection that merely has no data yet is then
// reported by SSL_get_error as SSL_ERROR_SSL: CAF closes it. Measured here:
// every attempt of a rogue node dropped the link between two good nodes.
// OpenSSL requires an empty queue before each I/O call (SSL_get_error(3)),
// so the node provides these four entry points, which clear it and call
// libssl's own. The executable's definitions take precedence over libssl's
// for every library of the process (ELF symbol lookup order); libpq, which
// clears the queue itself, is unaffected.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class F>
F libssl(const char* name) {
  auto f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (f == nullptr) {
    std::fprintf(stderr, "weft: cannot find libssl's %s: %s\n", name, dlerror());
    std::abort();
  }
  return f;
}

} // namespace

namespace weft::cluster {

/// Called from cluster_node.cpp so that the linker keeps this file.
void keep_openssl_error_queue_guard() {}

} // namespace weft::cluster

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = libssl<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = libssl<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static auto real = libssl<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static auto real = libssl<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"
