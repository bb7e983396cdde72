#include <catch2/catch.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "adapters/metrics/metrics_endpoint.hpp"
#include "runtime/metrics.hpp"
#include "test_client.hpp"

using namespace weft;

namespace {

std::string text_of(weft::metrics& m) {
  return prometheus::TextSerializer{}.Serialize(m.registry()->Collect());
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("metrics families and labels", "[metrics]") {
  weft::metrics m;
  m.http_request("/v1/x/{id}", "GET", 200, 0.003);
  m.http_request("/v1/x/{id}", "GET", 200, 0.004);
  m.http_request("/v1/x/{id}", "GET", 404, 0.001);
  m.bus_event(bus_counter::published, "auth.user.created", "");
  m.bus_event(bus_counter::dead_lettered, "auth.user.created", "audit");
  m.inbox_duplicate("audit");
  m.gauge("weft_service_ready", "1 when the service is ready", "service", "auth", 1);
  auto text = text_of(m);
  CHECK(has(text, R"(weft_http_requests_total{method="GET",route="/v1/x/{id}",status="200"} 2)"));
  CHECK(has(text, R"(weft_http_requests_total{method="GET",route="/v1/x/{id}",status="404"} 1)"));
  CHECK(has(text, R"(weft_http_request_duration_seconds_count{method="GET",route="/v1/x/{id}"} 3)"));
  CHECK(has(text, R"(le="0.0005")"));
  CHECK(has(text, R"(le="5")"));
  CHECK(has(text, R"(weft_events_published_total{consumer="",type="auth.user.created"} 1)"));
  CHECK(has(text, R"(weft_events_dead_lettered_total{consumer="audit",type="auth.user.created"} 1)"));
  CHECK(has(text, R"(weft_inbox_duplicates_total{consumer="audit"} 1)"));
  CHECK(has(text, R"(weft_service_ready{service="auth"} 1)"));
  m.gauge("weft_service_ready", "1 when the service is ready", "service", "auth", 0);
  CHECK(has(text_of(m), R"(weft_service_ready{service="auth"} 0)"));
}

TEST_CASE("the per-thread series cache keeps instances apart", "[metrics]") {
  for (int round = 0; round < 3; ++round) {
    weft::metrics m;
    m.http_request("/r", "GET", 200, 0.01);
    CHECK(has(text_of(m), R"(weft_http_requests_total{method="GET",route="/r",status="200"} 1)"));
  }
}

TEST_CASE("the endpoint serves /metrics on a free port", "[metrics]") {
  weft::metrics m;
  m.http_request("/health/live", "GET", 200, 0.0001);
  config::metrics_section settings;
  settings.host = "127.0.0.1";
  settings.port = 0;
  metrics_endpoint endpoint{settings, m.registry()};
  auto port = endpoint.start();
  REQUIRE(port != 0);
  auto r = http::test::roundtrip(port, http::test::make_request("GET", "/metrics"));
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(has(r.body, "weft_http_requests_total"));
  CHECK(has(r.body, R"(route="/health/live")"));
  // A second endpoint on the same port cannot bind.
  config::metrics_section taken = settings;
  taken.port = port;
  metrics_endpoint second{taken, m.registry()};
  CHECK_THROWS_AS(second.start(), std::runtime_error);
  endpoint.stop();
  endpoint.stop();
}
