#include "actors/webhooks/http_poster.hpp"

#include <curl/curl.h>
#include <netdb.h>
#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <map>

#include "actors/webhooks/sink_policy.hpp"

namespace weft::webhooks {

namespace {

using clock = std::chrono::steady_clock;

struct transfer {
  post_job job;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  clock::time_point started;
  int32_t retry_after_s = -1;
};

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n; // the receiver's body is not kept
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  std::string line{data, size * n};
  static constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()
      && strncasecmp(line.c_str(), name.data(), name.size()) == 0) {
    try {
      t->retry_after_s = std::stoi(line.substr(name.size()));
    } catch (const std::exception&) {
      // an HTTP date: ignored, the schedule applies
    }
  }
  return size * n;
}

/// Resolves `host` and checks every address: the one to connect to, or
/// empty with `why` set.
std::string checked_address(const sink_url& u, bool allowed, std::string& why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(u.host.c_str(), nullptr, &hints, &res); rc != 0) {
    why = std::string{"cannot resolve "} + u.host + ": " + gai_strerror(rc);
    return {};
  }
  std::string first;
  for (auto* a = res; a != nullptr; a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (a->ai_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, buf, sizeof buf);
    else if (a->ai_family == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, buf, sizeof buf);
    else
      continue;
    if (!allowed) {
      if (auto bad = forbidden_address(buf); !bad.empty()) {
        why = u.host + " resolves to " + bad;
        freeaddrinfo(res);
        return {};
      }
    }
    if (first.empty())
      first = a->ai_family == AF_INET6 ? std::string{"["} + buf + "]" : std::string{buf};
  }
  freeaddrinfo(res);
  if (first.empty())
    why = "no address for " + u.host;
  return first;
}

} // namespace

http_poster::http_poster(std::vector<std::string> allow_hosts, uint32_t parallel,
                         std::function<void(post_result)> done)
  : allow_hosts_(std::move(allow_hosts)), parallel_(std::max<uint32_t>(parallel, 1)),
    done_(std::move(done)) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  thread_ = std::thread{[this] { run(); }};
}

http_poster::~http_poster() {
  stop();
}

void http_poster::submit(post_job job) {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    queue_.push_back(std::move(job));
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void http_poster::stop() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  if (multi_ != nullptr)
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
  if (thread_.joinable())
    thread_.join();
  if (multi_ != nullptr) {
    curl_multi_cleanup(static_cast<CURLM*>(multi_));
    multi_ = nullptr;
  }
}

void http_poster::run() {
  auto* multi = static_cast<CURLM*>(multi_);
  std::map<CURL*, std::unique_ptr<transfer>> active;
  auto finish = [&](transfer& t, int32_t code, std::string error) {
    post_result r;
    r.id = t.job.id;
    r.code = code;
    r.error = std::move(error);
    r.latency_ms = static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t.started).count());
    r.retry_after_s = t.retry_after_s;
    done_(std::move(r));
  };
  for (;;) {
    std::deque<post_job> fresh;
    {
      std::lock_guard<std::mutex> lk{mtx_};
      if (stop_)
        break;
      // Those that fit; the rest start as these end (their clock starts then).
      while (!queue_.empty() && active.size() + fresh.size() < parallel_) {
        fresh.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (auto& job : fresh) {
      auto t = std::make_unique<transfer>();
      t->job = std::move(job);
      t->started = clock::now();
      sink_url u;
      std::string why;
      if (!parse_sink(t->job.url, u, why)) {
        finish(*t, 0, "bad sink: " + why);
        continue;
      }
      auto addr = checked_address(u, allowed_host(u.host, allow_hosts_), why);
      if (addr.empty()) {
        finish(*t, 0, why);
        continue;
      }
      t->easy = curl_easy_init();
      auto* e = t->easy;
      auto pin = u.host + ":" + std::to_string(u.port) + ":" + addr;
      t->resolve = curl_slist_append(nullptr, pin.c_str());
      for (const auto& h : t->job.headers)
        t->headers = curl_slist_append(t->headers, h.c_str());
      curl_easy_setopt(e, CURLOPT_URL, t->job.url.c_str());
      curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve);
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->job.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->job.body.size()));
      curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t->job.connect_timeout_ms));
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->job.timeout_ms));
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
      curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
      curl_easy_setopt(e, CURLOPT_USERAGENT, "weft-webhooks/1");
      curl_multi_add_handle(multi, e);
      active.emplace(e, std::move(t));
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE)
        continue;
      auto it = active.find(m->easy_handle);
      if (it == active.end())
        continue;
      auto& t = *it->second;
      long code = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
      std::string error;
      if (m->data.result != CURLE_OK)
        error = curl_easy_strerror(m->data.result);
      finish(t, static_cast<int32_t>(code), std::move(error));
      curl_multi_remove_handle(multi, t.easy);
      curl_easy_cleanup(t.easy);
      curl_slist_free_all(t.headers);
      curl_slist_free_all(t.resolve);
      active.erase(it);
    }
    bool waiting = false; // queued jobs that now fit: no sleeping
    {
      std::lock_guard<std::mutex> lk{mtx_};
      waiting = !queue_.empty() && active.size() < parallel_;
    }
    if (!waiting)
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  for (auto& [e, t] : active) {
    curl_multi_remove_handle(multi, e);
    curl_easy_cleanup(e);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->resolve);
  }
}

} // namespace weft::webhooks
