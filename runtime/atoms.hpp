#pragma once

#include <caf/atom.hpp>

// Every atom of Weft's actor interfaces, in one place (at most 10 characters).
namespace weft {

using publish_atom = caf::atom_constant<caf::atom("publish")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using handle_atom = caf::atom_constant<caf::atom("handle")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using mark_atom = caf::atom_constant<caf::atom("mark")>;
using assign_atom = caf::atom_constant<caf::atom("assign")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using rotate_atom = caf::atom_constant<caf::atom("rotate")>;
using posted_atom = caf::atom_constant<caf::atom("posted")>;
using quiet_atom = caf::atom_constant<caf::atom("quiet")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using redeliver_atom = caf::atom_constant<caf::atom("redeliver")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;
using redrive_atom = caf::atom_constant<caf::atom("redrive")>;
using prune_atom = caf::atom_constant<caf::atom("prune")>;
using crud_atom = caf::atom_constant<caf::atom("crud")>;

} // namespace weft
