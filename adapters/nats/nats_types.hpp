#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "events/envelope.hpp"
#include "runtime/event_bus.hpp"

// Internal: what NATS threads hand to the bus actor, and the adapter's atoms.
namespace weft::nats {

/// A NATS message owned jointly; natsMsg_Destroy when the last owner goes.
using msg_ptr = std::shared_ptr<natsMsg>;

/// Takes ownership of `m`.
inline msg_ptr own(natsMsg* m) {
  return msg_ptr{m, natsMsg_Destroy};
}

/// A NATS message not (yet) handed to the library: js_PublishMsgAsync takes
/// it on success (release()), and gives it back through the AckHandler.
using unique_msg = std::unique_ptr<natsMsg, void (*)(natsMsg*)>;

/// Takes ownership of `m`.
inline unique_msg own_unique(natsMsg* m) {
  return unique_msg{m, natsMsg_Destroy};
}

/// One fetched JetStream message, decoded on the fetch thread so the actor
/// does no JSON parsing.
struct fetched {
  msg_ptr msg;
  natsConnection* conn = nullptr;         ///< where its acks go (outlives the bus actor)
  uint64_t stream_seq = 0;
  uint32_t delivered = 1;                 ///< the server's NumDelivered
  uint64_t pending = 0;                   ///< the server's NumPending when it was sent
  std::string subject;                    ///< NATS subject
  std::optional<events::envelope> event;  ///< empty if the payload did not decode
  std::string decode_error;               ///< why it did not
  header_list headers;                    ///< every header as on the wire
};

/// The JetStream acknowledgement protocol, published on the message's reply
/// subject. The fetcher reads through its own inbox subscription (see
/// fetcher.cpp), whose messages NATS.c's natsMsg_Ack and kin cannot settle
/// (they expect a JetStream subscription).
inline void ack(const fetched& f) {
  natsConnection_PublishString(f.conn, natsMsg_GetReply(f.msg.get()), "+ACK");
}
/// Redelivery, at once or after `delay_ms`.
inline void nak(const fetched& f, int64_t delay_ms = 0) {
  std::string body = "-NAK";
  if (delay_ms > 0)
    body += " {\"delay\":" + std::to_string(delay_ms * 1000000) + "}";
  natsConnection_PublishString(f.conn, natsMsg_GetReply(f.msg.get()), body.c_str());
}
/// Still being worked on: the ack wait starts again.
inline void in_progress(const fetched& f) {
  natsConnection_PublishString(f.conn, natsMsg_GetReply(f.msg.get()), "+WPI");
}
/// Never again.
inline void term(const fetched& f) {
  natsConnection_PublishString(f.conn, natsMsg_GetReply(f.msg.get()), "+TERM");
}

/// A batch from one fetch, in stream order.
using batch_ptr = std::shared_ptr<std::vector<fetched>>;

/// PubAck or publish failure, from the AckHandler (a NATS thread).
using puback_atom = caf::atom_constant<caf::atom("puback")>;
/// A fetched batch, from a fetch thread.
using batch_atom = caf::atom_constant<caf::atom("batch")>;
/// Keep held messages alive (in-progress acks).
using keepalive_atom = caf::atom_constant<caf::atom("keepalive")>;
/// Expire publishes that got no answer.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// Headers the bus shows to handlers: transport headers (Nats-*,
/// Content-Type) are the adapter's business.
inline bool transport_header(std::string_view key) {
  return key.starts_with("Nats-") || key == "Content-Type";
}

/// The CloudEvents structured-mode content type (CloudEvents NATS binding).
inline constexpr const char* cloudevents_json = "application/cloudevents+json";

} // namespace weft::nats

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::nats::msg_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::nats::batch_ptr)
