#include "consensus/messages.hpp"

#include "consensus/signing.hpp"

namespace sharechain::consensus {

Envelope seal(const Message& message, uint32_t validator, std::string_view chain_id,
              Signer& signer, uint64_t epoch) {
  Envelope env;
  message.SerializeToString(env.mutable_payload());
  env.set_validator(validator);
  env.set_epoch(epoch);
  env.set_signature(signer.sign(envelope_digest(chain_id, epoch, env.payload())));
  return env;
}

std::optional<Message> decode(const Envelope& envelope) {
  Message m;
  if (!m.ParseFromString(envelope.payload()) || m.kind_case() == Message::KIND_NOT_SET) {
    return std::nullopt;
  }
  return m;
}

const char* kind_name(const Message& message) {
  switch (message.kind_case()) {
    case Message::kPrePrepare: return "pre-prepare";
    case Message::kPrepare: return "prepare";
    case Message::kCommit: return "commit";
    case Message::kCheckpoint: return "checkpoint";
    case Message::kViewChange: return "view-change";
    case Message::kNewView: return "new-view";
    case Message::kCommitted: return "committed";
    case Message::KIND_NOT_SET: break;
  }
  return "empty";
}

std::string summarize(const Message& m) {
  std::string out = kind_name(m);
  switch (m.kind_case()) {
    case Message::kPrePrepare:
      out += " view=" + std::to_string(m.pre_prepare().view()) +
             " height=" + std::to_string(m.pre_prepare().height()) +
             " txs=" + std::to_string(m.pre_prepare().block().transactions_size());
      break;
    case Message::kPrepare:
      out += " view=" + std::to_string(m.prepare().view()) +
             " height=" + std::to_string(m.prepare().height());
      break;
    case Message::kCommit:
      out += " view=" + std::to_string(m.commit().view()) +
             " height=" + std::to_string(m.commit().height());
      break;
    case Message::kCheckpoint:
      out += " height=" + std::to_string(m.checkpoint().height());
      break;
    case Message::kViewChange:
      out += " new_view=" + std::to_string(m.view_change().new_view());
      break;
    case Message::kNewView:
      out += " view=" + std::to_string(m.new_view().view()) +
             " proofs=" + std::to_string(m.new_view().view_changes_size());
      break;
    case Message::kCommitted:
      out += " height=" + std::to_string(m.committed().certificate().height());
      break;
    case Message::KIND_NOT_SET: break;
  }
  return out;
}

}  // namespace sharechain::consensus
