#include "adapters/nats/dead_letters.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/fetcher.hpp"
#include "adapters/nats/jetstream_state.hpp"
#include "events/codec.hpp"
#include "events/routes.hpp"

namespace weft::nats {

namespace {

/// A filter as handlers see subjects (`weft.auth.>`) on the wire: across
/// every partition when the stream is partitioned (`weft.*.auth.>`).
std::string wire_filter(const std::string& filter, uint32_t partitions) {
  if (partitions <= 1 || !filter.starts_with("weft."))
    return filter;
  if (filter == "weft.>")
    return filter; // matches the partitioned subjects too
  return "weft.*." + filter.substr(std::string_view{"weft."}.size());
}

/// A stored message as the port shows it: the subject without its
/// partition, the event, the headers (transport ones left out).
caf::expected<delivery> to_delivery(natsMsg* m, uint64_t seq) {
  std::string_view data{natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))};
  auto ev = events::decode(data);
  if (!ev)
    return ev.error();
  delivery d;
  d.stream_seq = seq;
  d.attempt = 0;
  d.message.subject = events::unpartitioned_subject(natsMsg_GetSubject(m));
  d.message.event = std::move(*ev);
  for (auto& [k, v] : read_headers(m))
    if (!transport_header(k))
      d.message.headers.emplace_back(std::move(k), std::move(v));
  return d;
}

jsOptions api_options() {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  return jo;
}

using subscription_ptr = std::unique_ptr<natsSubscription, void (*)(natsSubscription*)>;

/// An ordered consumer over `filter` (as handlers see subjects) from stream
/// sequence `from` (1: the beginning), and how many messages it has to
/// deliver: read that many, no more (waiting for one that does not exist
/// would take the whole timeout).
struct ordered_read {
  subscription_ptr sub;
  uint64_t left = 0;
};

caf::expected<ordered_read> open_ordered(connection& c, const std::string& filter, uint64_t from) {
  const auto& opts = c.opts();
  auto wire = wire_filter(filter, opts.partitions);
  auto jo = api_options();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = opts.stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = from;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_SubscribeSync(&sub, c.js(), wire.c_str(), &jo, &so, &jerr);
  if (s != NATS_OK)
    return unavailable("nats: cannot read the stream: " + status_text(s, jerr));
  ordered_read out{subscription_ptr{sub, [](natsSubscription* x) {
                                      natsSubscription_Unsubscribe(x);
                                      natsSubscription_Destroy(x);
                                    }},
                   0};
  jsConsumerInfo* ci = nullptr;
  s = natsSubscription_GetConsumerInfo(&ci, sub, &jo, &jerr);
  if (s != NATS_OK)
    return unavailable("nats: cannot read the stream: " + status_text(s, jerr));
  // Those already pushed to us (not read yet) and those still to come.
  out.left = ci->Delivered.Consumer + ci->NumPending;
  jsConsumerInfo_Destroy(ci);
  return out;
}

caf::expected<std::vector<delivery>> read(connection& c, const stream_query& q) {
  std::vector<delivery> out;
  if (q.limit == 0)
    return out;
  auto r = open_ordered(c, q.filter, q.after + 1);
  if (!r)
    return r.error();
  auto& left = r->left;
  while (left > 0 && out.size() < q.limit) {
    natsMsg* m = nullptr;
    auto s = natsSubscription_NextMsg(&m, r->sub.get(), 5000);
    if (s != NATS_OK)
      return unavailable("nats: reading the stream: " + status_text(s));
    auto owned = own_unique(m);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK)
      continue; // a control message
    auto seq = md->Sequence.Stream;
    left = md->NumPending;
    jsMsgMetaData_Destroy(md);
    auto d = to_delivery(m, seq);
    if (!d) { // shown nonetheless, with what can be read of it
      spdlog::warn("nats: stream message {} does not decode", seq);
      continue;
    }
    out.push_back(std::move(*d));
  }
  return out;
}

/// Publishes the event of the letter at `seq` again (unless `republish` is
/// false), then deletes the letter. False when there is no letter of
/// `consumer` there.
caf::expected<bool> redrive_one(connection& c, const std::string& consumer, uint64_t seq,
                                bool republish) {
  const auto& opts = c.opts();
  auto jo = api_options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsMsg* raw = nullptr;
  auto s = js_GetMsg(&raw, c.js(), opts.stream.c_str(), seq, &jo, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
    return false;
  if (s != NATS_OK)
    return unavailable("nats: cannot read dead letter " + std::to_string(seq) + ": "
                       + status_text(s, jerr));
  auto letter_msg = own_unique(raw);
  if (events::unpartitioned_subject(natsMsg_GetSubject(raw))
      != events::dead_letter_subject(consumer))
    return false;
  auto delete_letter = [&]() -> caf::expected<bool> {
    auto d = js_DeleteMsg(c.js(), opts.stream.c_str(), seq, &jo, &jerr);
    if (d != NATS_OK && d != NATS_NOT_FOUND) // a second redrive of it dedupes
      return unavailable("nats: dead letter " + std::to_string(seq)
                         + " could not be deleted: " + status_text(d, jerr));
    return true;
  };
  if (!republish)
    return delete_letter();
  auto letter = to_delivery(raw, seq);
  if (!letter)
    return letter.error();
  auto again = redriven(letter->message);
  // Its own dedupe id: the event id is in the window, and a retry of this
  // redrive after a lost answer must not publish it twice.
  again.headers.emplace_back(dedupe_id_header,
                             "redrive:" + opts.stream + ":" + std::to_string(seq));
  auto msg = make_nats_message(again, opts.partitions);
  if (!msg)
    return msg.error();
  jsPubAck* pa = nullptr;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 5000;
  s = js_PublishMsg(&pa, c.js(), msg->get(), &po, &jerr);
  if (s != NATS_OK)
    return unavailable("nats: cannot redrive dead letter " + std::to_string(seq) + ": "
                       + status_text(s, jerr));
  jsPubAck_Destroy(pa);
  return delete_letter();
}

/// Deletes the dead letters stored before `before_ms` (Unix ms), oldest
/// first, at most `limit`: an ordered consumer over every letter subject
/// reads them in stream order (so in time order) up to the first young one,
/// then each is deleted by sequence. Letters are few; their age is what
/// matters, and JetStream's purge cannot select by time.
caf::expected<uint64_t> prune(connection& c, int64_t before_ms, uint32_t limit) {
  const auto& opts = c.opts();
  auto r = open_ordered(c, "weft.dlq.>", 1);
  if (!r)
    return r.error();
  auto& left = r->left;
  const int64_t before_ns = before_ms * 1000000;
  std::vector<uint64_t> old;
  while (left > 0 && old.size() < limit) {
    natsMsg* m = nullptr;
    auto s = natsSubscription_NextMsg(&m, r->sub.get(), 5000);
    if (s != NATS_OK)
      return unavailable("nats: reading the dead letters: " + status_text(s));
    auto owned = own_unique(m);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK)
      continue; // a control message
    auto seq = md->Sequence.Stream;
    auto stored_ns = md->Timestamp;
    left = md->NumPending;
    jsMsgMetaData_Destroy(md);
    if (stored_ns >= before_ns)
      break;
    old.push_back(seq);
  }
  r->sub.reset();
  auto jo = api_options();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  uint64_t n = 0;
  for (auto seq : old) {
    auto d = js_DeleteMsg(c.js(), opts.stream.c_str(), seq, &jo, &jerr);
    if (d == NATS_OK)
      ++n;
    else if (d != NATS_NOT_FOUND && jerr != JSNoMessageFoundErr) // redriven meanwhile
      return unavailable("nats: dead letter " + std::to_string(seq)
                         + " could not be deleted: " + status_text(d, jerr));
  }
  return n;
}

dead_letters_actor::behavior_type dead_letters(std::shared_ptr<connection> conn) {
  return {
    [conn](query_atom, const stream_query& q) -> caf::result<std::vector<delivery>> {
      auto r = read(*conn, q);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [conn](redrive_atom, const std::string& consumer, const std::vector<uint64_t>& seqs,
           bool republish) -> caf::result<uint64_t> {
      uint64_t n = 0;
      for (auto seq : seqs) {
        auto done = redrive_one(*conn, consumer, seq, republish);
        if (!done)
          return std::move(done.error());
        n += *done ? 1 : 0;
      }
      return n;
    },
    [conn](prune_atom, int64_t before_ms, uint32_t limit) -> caf::result<uint64_t> {
      auto n = prune(*conn, before_ms, limit);
      if (!n)
        return std::move(n.error());
      return *n;
    },
  };
}

} // namespace

dead_letters_actor spawn_dead_letters(caf::actor_system& sys, std::shared_ptr<connection> conn) {
  return sys.spawn<caf::detached>(dead_letters, std::move(conn));
}

} // namespace weft::nats
