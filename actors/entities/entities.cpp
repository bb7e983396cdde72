#include "actors/entities/entities.hpp"

#include <chrono>

#include <caf/typed_event_based_actor.hpp>

#include "actors/entities/repo.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/cursor.hpp"
#include "runtime/idempotency.hpp"

namespace weft::entities {

namespace {

/// How long an Idempotency-Key's answer is kept.
constexpr std::chrono::seconds idempotency_ttl{86400};

} // namespace

/// `<entity>.<what>` about `row`, with the schema's version.
events::envelope entity_event(const collection& c, const catalog& cat, std::string_view what,
                              std::string id, nlohmann::json data, const request_meta& meta) {
  events::envelope ev;
  ev.id = events::new_uuid_v7();
  ev.source = "/weft/entities";
  ev.type = c.event_prefix + "." + std::string{what};
  ev.time = events::now_rfc3339_ms();
  ev.subject = std::move(id);
  ev.data = data.dump();
  ev.correlationid = meta.request_id;
  ev.dataversion = cat.version;
  return ev;
}

namespace {

/// `analytics.tracked` for each tracking binding `what` triggers whose
/// condition `row` meets; emitted with the write, in its unit.
void track(unit_of_work& w, const collection& c, const catalog& cat, const std::string& what,
           const nlohmann::json& row, const request_meta& meta) {
  for (const auto& t : c.trackings) {
    if (!t.triggers.contains(what))
      continue;
    if (!t.condition_field.empty() && row.value(t.condition_field, nlohmann::json{}) != t.condition_value)
      continue;
    nlohmann::json props = nlohmann::json::object();
    for (const auto& p : t.properties)
      props[p] = row.value(p, nlohmann::json{});
    auto id = row.value("id", std::string{});
    nlohmann::json data{{"eventName", t.event_name}, {"entity", c.entity.name}, {"id", id},
                        {"trigger", what}, {"properties", props}};
    auto ev = entity_event(c, cat, "tracked", id, std::move(data), meta);
    ev.type = "analytics.tracked";
    w.emit(std::move(ev));
  }
}

/// `notifications.inapp.requested` for each notifying binding `what`
/// triggers (the notifications service writes the notifications; the shape
/// is its `inapp_requested`). The title is filled from what an answer shows
/// of the row: hidden values never reach a notification.
void request_notifications(unit_of_work& w, const collection& c, const catalog& cat,
                           const std::string& what, const nlohmann::json& row,
                           const request_meta& meta) {
  for (const auto& n : c.notifyings) {
    if (!n.triggers.contains(what))
      continue;
    auto recipients = nlohmann::json::array();
    auto named = row.value(n.recipient_field, nlohmann::json{});
    for (const auto& r : named.is_array() ? named : nlohmann::json::array({named}))
      if (r.is_string() && !r.get<std::string>().empty())
        recipients.push_back(r);
    if (recipients.empty())
      continue;
    auto id = row.value("id", std::string{});
    nlohmann::json data{{"binding", n.name}, {"entity", c.entity.name}, {"entity_id", id},
                        {"trigger", what}, {"recipients", recipients},
                        {"title", n.title_for(c.view(row))}};
    auto ev = entity_event(c, cat, "notify", id, std::move(data), meta);
    ev.type = "notifications.inapp.requested";
    w.emit(std::move(ev));
  }
}

/// What a write of `what` ("create", "update", "delete") emits besides its
/// own event: tracked analytics and notification requests.
void follow_up(unit_of_work& w, const collection& c, const catalog& cat, const std::string& what,
               const nlohmann::json& row, const request_meta& meta) {
  track(w, c, cat, what, row, meta);
  request_notifications(w, c, cat, what, row, meta);
}

} // namespace

nlohmann::json new_row(const collection& c, const nlohmann::json& body) {
  nlohmann::json row = nlohmann::json::object();
  for (const auto* a : c.writable()) {
    auto i = body.find(a->name);
    if (i != body.end())
      row[a->name] = *i;
    else if (a->default_value)
      row[a->name] = *a->default_value;
    else if (a->type.array)
      row[a->name] = nlohmann::json::array();
    else
      row[a->name] = nullptr;
  }
  auto now = events::now_rfc3339_ms();
  row["id"] = events::new_uuid_v7();
  row["created_at"] = now;
  row["updated_at"] = now;
  return row;
}

nlohmann::json emit_created(unit_of_work& w, const catalog& cat, const collection& c,
                            const nlohmann::json& row, const request_meta& meta) {
  auto view = c.view(row);
  w.emit(entity_event(c, cat, "created", row["id"].get<std::string>(), view, meta));
  follow_up(w, c, cat, "create", row, meta);
  return view;
}

namespace {

caf::error not_found(const collection& c, std::string_view id) {
  return api_error(api_errc::not_found, c.entity.name + " " + std::string{id} + " does not exist");
}

/// A write's body: a JSON object whose attributes `c` lets a client write,
/// in their formats.
caf::expected<nlohmann::json> body_of(const collection& c, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return api_error(api_errc::bad_request, "the body is not a JSON object");
  if (auto err = c.check_values(j))
    return err;
  return j;
}

caf::expected<nlohmann::json> create(store_session& s, const catalog& cat, const collection& c,
                                     const crud_call& call) {
  auto body = body_of(c, call.body);
  if (!body)
    return body.error();
  auto operation = "entities." + c.plural + ".create:" + call.caller.id;
  return idempotency::commit<nlohmann::json>(
    s, call.meta, operation, idempotency_ttl, [&](unit_of_work& w) -> caf::expected<nlohmann::json> {
      auto row = new_row(c, *body);
      if (auto err = open_repository(w, c)->insert(row))
        return err;
      return emit_created(w, cat, c, row, call.meta);
    });
}

caf::expected<nlohmann::json> update(store_session& s, const catalog& cat, const collection& c,
                                     const crud_call& call) {
  auto body = body_of(c, call.body);
  if (!body)
    return body.error();
  if (body->empty())
    return api_error(api_errc::bad_request, "the body changes nothing");
  auto operation = "entities." + c.plural + ".update:" + call.caller.id;
  return idempotency::commit<nlohmann::json>(
    s, call.meta, operation, idempotency_ttl, [&](unit_of_work& w) -> caf::expected<nlohmann::json> {
      auto repo = open_repository(w, c);
      auto found = repo->find(call.id);
      if (!found)
        return found.error();
      if (!*found)
        return not_found(c, call.id);
      auto row = std::move(**found);
      auto changed = nlohmann::json::array();
      for (const auto* a : c.writable()) {
        auto i = body->find(a->name);
        if (i == body->end() || row.value(a->name, nlohmann::json{}) == *i)
          continue;
        row[a->name] = *i;
        if (!c.hidden.contains(a->name))
          changed.push_back(a->name);
      }
      row["updated_at"] = events::now_rfc3339_ms();
      if (auto err = repo->replace(row))
        return err;
      auto view = c.view(row);
      auto data = view;
      data["changed"] = changed; // what a subscriber needs to tell an update's meaning
      w.emit(entity_event(c, cat, "updated", call.id, data, call.meta));
      follow_up(w, c, cat, "update", row, call.meta);
      return view;
    });
}

caf::expected<nlohmann::json> remove(store_session& s, const catalog& cat, const collection& c,
                                     const crud_call& call) {
  auto operation = "entities." + c.plural + ".remove:" + call.caller.id;
  return idempotency::commit<nlohmann::json>(
    s, call.meta, operation, idempotency_ttl, [&](unit_of_work& w) -> caf::expected<nlohmann::json> {
      auto repo = open_repository(w, c);
      caf::expected<std::optional<nlohmann::json>> found = std::optional<nlohmann::json>{};
      if (!c.trackings.empty() || !c.notifyings.empty())
        found = repo->find(call.id); // what tracking and notifying read of it
      if (!found)
        return found.error();
      auto gone = repo->remove(call.id);
      if (!gone)
        return gone.error();
      if (!*gone)
        return not_found(c, call.id);
      w.emit(entity_event(c, cat, "deleted", call.id, {{"id", call.id}}, call.meta));
      if (*found)
        follow_up(w, c, cat, "delete", **found, call.meta);
      return nlohmann::json{};
    });
}

caf::expected<nlohmann::json> list(store_session& s, const collection& c, const crud_call& call) {
  auto q = call.query.empty() ? nlohmann::json::object() : nlohmann::json::parse(call.query, nullptr, false);
  if (!q.is_object())
    return api_error(api_errc::bad_request, "bad query");
  auto after = cursor::decode_uuid(q.value("cursor", std::string{}));
  if (!after)
    return after.error();
  uint32_t limit = q.value("limit", 50u);
  nlohmann::json equal = nlohmann::json::object();
  for (const auto* a : c.filters())
    if (q.contains(a->name))
      equal[a->name] = q[a->name];
  return read<nlohmann::json>(s, [&](unit_of_work& w) -> caf::expected<nlohmann::json> {
    auto rows = open_repository(w, c)->list(equal, *after, limit + 1);
    if (!rows)
      return rows.error();
    nlohmann::json page{{"items", nlohmann::json::array()}, {"next", nullptr}};
    for (size_t i = 0; i < rows->size() && i < limit; ++i)
      page["items"].push_back(c.view((*rows)[i]));
    if (rows->size() > limit)
      page["next"] = cursor::encode((*rows)[limit - 1]["id"].get<std::string>());
    return page;
  });
}

} // namespace

caf::expected<crud_answer> answer(store_session& session, const catalog& cat, const crud_call& call,
                                  store_session* memory) {
  const auto* c = cat.find(call.collection);
  if (c == nullptr)
    return api_error(api_errc::not_found, "no collection " + call.collection);
  auto& s = c->provider == "memory" && memory != nullptr ? *memory : session;
  caf::expected<nlohmann::json> out = nlohmann::json{};
  if (call.op == "create")
    out = create(s, cat, *c, call);
  else if (call.op == "update")
    out = update(s, cat, *c, call);
  else if (call.op == "remove")
    out = remove(s, cat, *c, call);
  else if (call.op == "list")
    out = list(s, *c, call);
  else if (call.op == "read") {
    out = read<nlohmann::json>(s, [&](unit_of_work& w) -> caf::expected<nlohmann::json> {
      auto found = open_repository(w, *c)->find(call.id);
      if (!found)
        return found.error();
      if (!*found)
        return not_found(*c, call.id);
      return c->view(**found);
    });
  } else {
    return api_error(api_errc::bad_request, "unknown operation " + call.op);
  }
  if (!out)
    return std::move(out.error());
  return crud_answer{out->is_null() ? std::string{} : out->dump()};
}

entities_actor::behavior_type entities_behavior(entities_pointer self,
                                                std::shared_ptr<store_session> session,
                                                std::shared_ptr<const catalog> cat, store* memory,
                                                std::shared_ptr<const sign_in_deps> sign_in) {
  self->state.session = std::move(session);
  self->state.cat = std::move(cat);
  self->state.sign_in = std::move(sign_in);
  if (memory != nullptr)
    self->state.memory = memory->open_session("entities-memory");
  return {
    [self](crud_atom, const crud_call& call) -> caf::result<crud_answer> {
      auto r = answer(*self->state.session, *self->state.cat, call, self->state.memory.get());
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](sign_in_atom, sign_in_call& call) -> caf::result<crud_answer> {
      return sign_in_answer(self, std::move(call));
    },
  };
}

} // namespace weft::entities
