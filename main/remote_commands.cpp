#include "main/remote_commands.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "actors/auth/settings.hpp"
#include "adapters/nats/stream_tail.hpp"
#include "events/routes.hpp"
#include "runtime/event_feed.hpp"

namespace weft {

namespace {

using nlohmann::json;

/// One answer of the node.
struct answer {
  long status = 0;      ///< 0: no answer (the error says why)
  std::string body;
  std::string error;
};

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string escape(const std::string& s) {
  std::unique_ptr<char, void (*)(void*)> e{curl_easy_escape(nullptr, s.c_str(),
                                                             static_cast<int>(s.size())),
                                           curl_free};
  return e ? std::string{e.get()} : std::string{};
}

/// The node, and how to be root there.
class node_client {
public:
  node_client(std::string url, std::string token) : url_(std::move(url)), token_(std::move(token)) {}

  answer call(const char* method, const std::string& path, const json* body = nullptr) const {
    answer a;
    std::unique_ptr<CURL, void (*)(CURL*)> c{curl_easy_init(), curl_easy_cleanup};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/json");
    std::string auth = "Authorization: Bearer " + token_;
    if (!token_.empty())
      headers = curl_slist_append(headers, auth.c_str());
    std::string payload;
    if (body != nullptr) {
      payload = body->dump();
      headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> hold{headers, curl_slist_free_all};
    auto url = url_ + path;
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
    if (body != nullptr) {
      curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, payload.c_str());
      curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    }
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &a.body);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 60000L);
    auto rc = curl_easy_perform(c.get());
    if (rc != CURLE_OK) {
      a.error = std::string{"cannot reach "} + url_ + ": " + curl_easy_strerror(rc);
      return a;
    }
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &a.status);
    return a;
  }

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  void set_token(std::string t) { token_ = std::move(t); }

private:
  std::string url_;
  std::string token_;
};

/// Prints what went wrong (the problem's detail when there is one): 1.
int failed(const std::string& what, const answer& a) {
  if (a.status == 0) {
    std::cerr << "weft: " << what << ": " << a.error << '\n';
    return 1;
  }
  auto j = json::parse(a.body, nullptr, false);
  std::string detail = j.is_object() ? j.value("detail", j.value("title", a.body)) : a.body;
  std::cerr << "weft: " << what << ": " << a.status << ' ' << detail << '\n';
  return 1;
}

/// The node the command talks to, logged in: or a message and the exit code.
std::variant<node_client, int> connect(const config::settings& s, const command_line& cl) {
  auto url = cl.url;
  if (url.empty()) {
    auto host = s.http.host;
    if (host.empty() || host == "0.0.0.0")
      host = "127.0.0.1";
    else if (host == "::")
      host = "[::1]";
    url = "http://" + host + ":" + std::to_string(s.http.port);
  }
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  node_client node{url, cl.token};
  if (!node.token().empty())
    return node;
  const auto& root = auth::root_settings_of(s);
  if (root.email.empty() || root.password.empty()) {
    std::cerr << "weft: no token: give --token (or WEFT_TOKEN), or root.email and root.password "
                 "in the config (WEFT_ROOT_EMAIL, WEFT_ROOT_PASSWORD)\n";
    return 2;
  }
  json creds{{"email", root.email}, {"password", root.password}};
  auto a = node.call("POST", "/v1/auth/login", &creds);
  if (a.status != 200)
    return failed("login as root", a);
  auto j = json::parse(a.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
    std::cerr << "weft: login as root: no access_token in the answer\n";
    return 1;
  }
  node.set_token(j["access_token"].get<std::string>());
  return node;
}

/// Prints each item of every page of `path` as a JSON line (at most `limit`, 0: all).
int print_pages(const node_client& node, const std::string& path, uint32_t limit,
                const std::string& what) {
  std::string cursor;
  uint32_t printed = 0;
  for (;;) {
    auto page_limit = limit == 0 ? 500u : std::min(500u, limit - printed);
    auto sep = path.find('?') == std::string::npos ? "?" : "&";
    auto a = node.call("GET", path + sep + "limit=" + std::to_string(page_limit)
                                + (cursor.empty() ? "" : "&cursor=" + escape(cursor)));
    if (a.status != 200)
      return failed(what, a);
    auto j = json::parse(a.body, nullptr, false);
    for (const auto& item : j.value("items", json::array())) {
      std::cout << item.dump() << '\n';
      ++printed;
    }
    cursor = j.contains("next") && j["next"].is_string() ? j["next"].get<std::string>() : "";
    if (cursor.empty() || (limit != 0 && printed >= limit))
      break;
  }
  std::cout.flush();
  return 0;
}

// -- events tail ---------------------------------------------------------------

// Set by SIGINT/SIGTERM (a lock-free atomic may be stored from a handler).
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) {
  interrupted = true;
}

/// Reads an SSE stream: each event's data printed as one line, its id kept.
struct sse_reader {
  std::string line;          ///< the line being read
  std::string data;          ///< the event's data so far
  std::string last_id;       ///< the id of the last event printed
  std::string pending_id;
  long retry_ms = 1000;

  void feed(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      char ch = p[i];
      if (ch == '\r')
        continue;
      if (ch != '\n') {
        line.push_back(ch);
        continue;
      }
      field(line);
      line.clear();
    }
  }

  void field(const std::string& l) {
    if (l.empty()) { // the event is complete
      if (!data.empty()) {
        std::cout << data << std::endl;
        if (!pending_id.empty())
          last_id = pending_id;
      }
      data.clear();
      pending_id.clear();
      return;
    }
    if (l.front() == ':')
      return; // a comment: the heartbeat
    auto colon = l.find(':');
    auto name = l.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    if (name == "data")
      data += data.empty() ? value : "\n" + value;
    else if (name == "id")
      pending_id = value;
    else if (name == "retry" && !value.empty()
             && value.find_first_not_of("0123456789") == std::string::npos)
      retry_ms = std::stol(value.substr(0, 9));
  }
};

size_t on_stream(char* data, size_t size, size_t n, void* out) {
  auto* r = static_cast<sse_reader*>(out);
  r->feed(data, size * n);
  return interrupted ? 0 : size * n; // 0 ends the transfer
}

int progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return interrupted ? 1 : 0;
}

} // namespace

int run_consumers(const config::settings& s, const command_line& cl) {
  auto c = connect(s, cl);
  if (auto* code = std::get_if<int>(&c))
    return *code;
  auto& node = std::get<node_client>(c);
  if (cl.action == "list")
    return print_pages(node, "/v1/consumers", 0, "consumers list");
  auto a = node.call("POST", "/v1/consumers/" + escape(cl.name) + "/" + cl.action);
  if (a.status != 200)
    return failed("consumers " + cl.action + " " + cl.name, a);
  std::cout << a.body << '\n';
  return 0;
}

int run_dlq(const config::settings& s, const command_line& cl) {
  auto c = connect(s, cl);
  if (auto* code = std::get_if<int>(&c))
    return *code;
  auto& node = std::get<node_client>(c);
  auto base = "/v1/consumers/" + escape(cl.name) + "/dead-letters";
  if (cl.action == "list")
    return print_pages(node, base, cl.limit, "dlq list " + cl.name);
  json body = json::object();
  if (!cl.id.empty())
    body["id"] = cl.id;
  if (!cl.since.empty())
    body["since"] = cl.since;
  auto a = node.call("POST", base + "/redrive", &body);
  if (a.status != 200)
    return failed("dlq redrive " + cl.name, a);
  auto j = json::parse(a.body, nullptr, false);
  std::cout << "weft: dlq redrive " << cl.name << ": " << j.value("redriven", 0)
            << " dead letters handed back\n";
  return 0;
}

namespace {

/// `weft events tail --nats URL`: the stream straight from NATS, filtered here.
int tail_from_nats(const config::settings& s, const command_line& cl) {
  std::vector<std::string> types;
  for (size_t at = 0; !cl.types.empty() && at <= cl.types.size();) {
    auto comma = cl.types.find(',', at);
    auto item = cl.types.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!events::valid_type_pattern(item)) {
      std::cerr << "weft: events tail: not a type or `prefix.*`: '" << item << "'\n";
      return 2;
    }
    types.push_back(item);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  nats::tail_options o;
  o.url = cl.nats;
  o.stream = s.nats.stream;
  if (!cl.from.empty()) {
    o.after = stream_position_of(cl.from);
    if (!o.after) {
      std::cerr << "weft: events tail: --from takes earliest, a stream position or an event id\n";
      return 2;
    }
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  auto err = nats::tail_stream(o, interrupted, [&](std::string_view text) {
    auto ev = json::parse(text, nullptr, false);
    if (!ev.is_object())
      return;
    auto type = ev.value("type", "");
    if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& t) {
          return events::type_matches(t, type);
        }))
      return;
    if (!cl.subject.empty() && ev.value("subject", "") != cl.subject)
      return;
    std::cout << text << std::endl;
  });
  if (err) {
    std::cerr << "weft: events tail: " << caf::to_string(err) << '\n';
    return 1;
  }
  return 0;
}

} // namespace

int run_events_tail(const config::settings& s, const command_line& cl) {
  if (!cl.nats.empty())
    return tail_from_nats(s, cl);
  auto c = connect(s, cl);
  if (auto* code = std::get_if<int>(&c))
    return *code;
  auto& node = std::get<node_client>(c);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  sse_reader reader;
  std::string query;
  if (!cl.types.empty())
    query += "&types=" + escape(cl.types);
  if (!cl.subject.empty())
    query += "&subject=" + escape(cl.subject);
  bool first = true;
  while (!interrupted) {
    // Where it stopped, else where asked (else from now on).
    std::string path = "/v1/events?x=1" + query;
    std::string resume_header;
    if (!reader.last_id.empty())
      resume_header = "Last-Event-ID: " + reader.last_id;
    else if (!cl.from.empty())
      path += "&lastEventID=" + escape(cl.from);
    std::unique_ptr<CURL, void (*)(CURL*)> h{curl_easy_init(), curl_easy_cleanup};
    curl_slist* headers = curl_slist_append(nullptr, "Accept: text/event-stream");
    auto auth = "Authorization: Bearer " + node.token();
    headers = curl_slist_append(headers, auth.c_str());
    if (!resume_header.empty())
      headers = curl_slist_append(headers, resume_header.c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> hold{headers, curl_slist_free_all};
    auto url = node.url() + path;
    curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &reader);
    curl_easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    auto rc = curl_easy_perform(h.get());
    long status = 0;
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
    if (interrupted)
      break;
    if (status >= 400) {
      answer a;
      a.status = status;
      a.body = reader.line + reader.data;
      return failed("events tail", a);
    }
    if (rc != CURLE_OK && first && status == 0) {
      std::cerr << "weft: events tail: cannot reach " << node.url() << ": "
                << curl_easy_strerror(rc) << '\n';
      return 1;
    }
    first = false;
    reader.line.clear();
    reader.data.clear();
    // The stream ended (the node restarted, or cut a slow reader): resume.
    std::this_thread::sleep_for(std::chrono::milliseconds{reader.retry_ms});
  }
  return 0;
}

} // namespace weft
