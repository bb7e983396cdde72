// The JSON field readers of every request body and event payload type, on
// arbitrary JSON. The first byte picks the type, the rest is the JSON text.
// Properties: a value the type's JSON Schema accepts (what the HTTP edge
// checks before a handler runs) reads without error, so no valid request
// meets a 500; and whatever reads writes back as JSON that reads and writes
// to the same JSON again.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/audit/interface.hpp"
#include "actors/auth/events.hpp"
#include "actors/auth/interface.hpp"
#include "actors/inbox/consumer_control.hpp"
#include "actors/notifications/events.hpp"
#include "actors/notifications/interface.hpp"
#include "actors/outbox/admin.hpp"
#include "actors/webhooks/events.hpp"
#include "actors/webhooks/interface.hpp"
#include "events/wire_schema.hpp"
#include "runtime/cursor.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace weft;

namespace {

template <class T>
void exercise(const nlohmann::json& value) {
  static const auto schema = wire::schema_of<T>();
  const bool fits = wire::validate(schema, value).empty();
  T x;
  try {
    wire::read(value, x);
  } catch (const wire::read_error& e) {
    if (fits)
      std::fprintf(stderr, "%s: schema accepts, reader refuses: %s\n", wire::name_of<T>(), e.what());
    FUZZ_CHECK(!fits);
    return;
  }
  nlohmann::json written;
  wire::write(written, x);
  T y;
  try {
    wire::read(written, y);
  } catch (const wire::read_error& e) {
    std::fprintf(stderr, "%s: its own output does not read back: %s\n", wire::name_of<T>(), e.what());
    FUZZ_CHECK(false);
  }
  nlohmann::json again;
  wire::write(again, y);
  FUZZ_CHECK(again == written);
}

template <class... Ts>
struct type_list {
  static constexpr size_t size = sizeof...(Ts);
  static void run(size_t index, const nlohmann::json& value) {
    size_t i = 0;
    ((i++ == index ? exercise<Ts>(value) : void()), ...);
  }
};

using readers = type_list<
  // Request bodies and queries.
  auth::credentials, auth::refresh_request, auth::new_api_key, auth::roles_change,
  audit::audit_query, page_request, notifications::read_request, outbox::republish_request,
  inbox::redrive_request, webhooks::subscription_request, webhooks::subscription_patch,
  webhooks::replay_request,
  // Event payloads, as consumers read them.
  auth::user_created, auth::user_login, auth::user_logout, auth::user_roles_changed,
  auth::apikey_created, auth::apikey_revoked, notifications::notification_created,
  notifications::notifications_read, webhooks::attempt_exhausted, webhooks::subscription_disabled>;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  std::string_view text{reinterpret_cast<const char*>(data) + 1, size - 1};
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded())
    return 0;
  readers::run(data[0] % readers::size, value);
  return 0;
}
