#include <caf/event_based_actor.hpp>

#include "actors/entities/catalog.hpp"
#include "actors/entities/interface.hpp"
#include "runtime/api_error.hpp"

namespace weft::entities {

namespace {

/// True if `who` holds one of `roles` (root holds every role; an empty
/// list admits any signed-in caller).
bool admitted(const principal& who, const std::vector<std::string>& roles) {
  if (roles.empty() || who.has_role(role_root))
    return true;
  return std::any_of(roles.begin(), roles.end(), [&](const std::string& r) { return who.has_role(r); });
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

/// A route of collection `c`: checks the caller's roles, then asks the
/// service with `op` and answers `status` with its body.
route_decl route_of(const collection& c, http_method m, std::string path, std::string op,
                    int status, std::string summary) {
  route_decl d;
  d.method = m;
  d.path = std::move(path);
  d.who = access::authenticated;
  d.operation_id = "entities." + c.plural + "." + op;
  d.summary = std::move(summary);
  d.success_status = status;
  const bool writes = op == "create" || op == "update" || op == "remove";
  auto roles = writes ? c.write_roles : c.read_roles;
  d.handler = [plural = c.plural, op, status, roles, writes](
                caf::event_based_actor* self, const caf::actor& service,
                std::chrono::milliseconds timeout, api_request req, api_reply reply, api_fail fail) {
    if (!req.caller || !admitted(*req.caller, roles))
      return fail(api_error(api_errc::forbidden, std::string{writes ? "writing" : "reading"} + " "
                                                   + plural + " takes one of the roles " + joined(roles)));
    crud_call call;
    call.collection = plural;
    call.op = op;
    if (auto i = req.params.find("id"); i != req.params.end())
      call.id = i->second;
    if (!req.body.is_null())
      call.body = req.body.dump();
    if (op == "list")
      call.query = req.query_values.dump();
    call.caller = *req.caller;
    call.meta = meta_of(req);
    self->request(service, timeout, crud_atom::value, std::move(call))
      .then(
        [reply = std::move(reply), status](crud_answer& a) {
          // The service's JSON text as it is (empty: no body, 204).
          reply(api_response{status, {}, {}, std::move(a.body)});
        },
        [fail](caf::error& err) { fail(std::move(err)); });
  };
  return d;
}

} // namespace

std::vector<route_decl> entity_routes(std::shared_ptr<const catalog> cat) {
  std::vector<route_decl> out;
  for (const auto& c : cat->collections) {
    auto base = "/" + c.plural;
    auto item = base + "/{id}";
    auto page = nlohmann::json{{"type", "object"},
                               {"properties",
                                {{"items", {{"type", "array"}, {"items", c.view_schema()}}},
                                 {"next", {{"type", {"string", "null"}}}}}},
                               {"required", {"items", "next"}}};
    auto r = route_of(c, http_method::get, base, "list", 200,
                      "List " + c.plural + ", oldest first (cursor paging, filters on unique and "
                      "indexed attributes)");
    r.query_schema = c.query_schema();
    r.response_schema = page;
    out.push_back(std::move(r));
    r = route_of(c, http_method::post, base, "create", 201, "Create a " + c.entity.name);
    r.takes_body = true;
    r.request_schema = c.create_schema();
    r.response_schema = c.view_schema();
    out.push_back(std::move(r));
    r = route_of(c, http_method::get, item, "read", 200, "A " + c.entity.name + " by id");
    r.response_schema = c.view_schema();
    out.push_back(std::move(r));
    r = route_of(c, http_method::patch, item, "update", 200,
                 "Change attributes of a " + c.entity.name);
    r.takes_body = true;
    r.request_schema = c.patch_schema();
    r.response_schema = c.view_schema();
    out.push_back(std::move(r));
    out.push_back(route_of(c, http_method::del, item, "remove", 204, "Delete a " + c.entity.name));
  }
  return out;
}

} // namespace weft::entities
