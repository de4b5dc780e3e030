#include "consensus/trace.hpp"

#include <algorithm>

#include "consensus/messages.hpp"
#include "consensus/signing.hpp"

namespace sharechain::consensus {

namespace {

// The canonical rendering behind actions_digest(): fixed-width integers, length-prefixed bytes.
class Canon {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u64(uint64_t v) {
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void bytes(std::string_view b) {
    u64(b.size());
    out_.append(b);
  }
  void hash(const crypto::Hash& h) {
    out_.append(reinterpret_cast<const char*>(h.data()), h.size());
  }
  void envelope(const Envelope& e) {  // the signature is left out on purpose
    u64(e.validator());
    bytes(e.payload());
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string hash_string(const crypto::Hash& h) { return crypto::hash_bytes(h); }

crypto::Hash to_hash(const std::string& raw) {
  auto h = crypto::hash_from_bytes(raw);
  return h ? *h : crypto::Hash{};
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

const char* input_kind_name(TraceInputKind kind) {
  switch (kind) {
    case TRACE_START: return "start";
    case TRACE_MESSAGE: return "message";
    case TRACE_TIMER: return "timer";
    case TRACE_REQUEST: return "request";
    case TRACE_EXECUTED: return "executed";
    case TRACE_STATE_TRANSFERRED: return "state transferred";
    case TRACE_TRANSACTIONS_COMMITTED: return "transactions committed";
    case TRACE_PROBE_PEERS: return "probe peers";
    case TRACE_EPOCH_END: return "epoch end";
    default: return "unknown";
  }
}

}  // namespace

crypto::Hash actions_digest(const Actions& actions) {
  Canon c;
  c.u64(actions.size());
  for (const Action& action : actions) {
    c.u8(static_cast<uint8_t>(action.index()));
    std::visit(
        [&](const auto& a) {
          using A = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<A, Send>) {
            c.u64(a.to);
            c.envelope(a.envelope);
          } else if constexpr (std::is_same_v<A, Broadcast>) {
            c.envelope(a.envelope);
          } else if constexpr (std::is_same_v<A, SetTimer>) {
            c.u8(static_cast<uint8_t>(a.id));
            c.u64(a.delay_ms);
          } else if constexpr (std::is_same_v<A, CancelTimer>) {
            c.u8(static_cast<uint8_t>(a.id));
          } else if constexpr (std::is_same_v<A, Persist>) {
            c.u64(a.puts.size());
            for (const auto& [k, v] : a.puts) {
              c.bytes(k);
              c.bytes(v);
            }
            c.u64(a.deletes.size());
            for (const auto& k : a.deletes) c.bytes(k);
          } else if constexpr (std::is_same_v<A, Deliver>) {
            c.u64(a.height);
            c.hash(a.hash);
            c.bytes(a.block.SerializeAsString());
          } else if constexpr (std::is_same_v<A, FetchBlocks>) {
            c.u64(a.from_height);
            c.u64(a.to_height);
            c.u64(a.sources.size());
            for (uint32_t s : a.sources) c.u64(s);
          } else if constexpr (std::is_same_v<A, Evidence>) {
            c.u64(a.validator);
            c.bytes(a.kind);
            c.u64(a.view);
            c.u64(a.height);
            c.envelope(a.first);
            c.envelope(a.second);
          } else if constexpr (std::is_same_v<A, Halt>) {
            c.bytes(a.reason);
          }
        },
        action);
  }
  return crypto::sha256(c.str());
}

// ---------------------------------------------------------------------------------------------
// Recording.

std::string TraceRecorder::RecordingSigner::sign(const crypto::Hash& digest) {
  std::string sig = inner_.sign(digest);
  if (owner_.open_) owner_.current_.mutable_input()->add_signatures(sig);
  return sig;
}

Status TraceRecorder::RecordingApplication::validate_proposal(const BlockHeader& header,
                                                              const Block& block) {
  Status s = inner_.validate_proposal(header, block);
  if (owner_.open_) {
    TraceAnswer* a = owner_.current_.mutable_input()->add_answers();
    a->set_code(static_cast<uint32_t>(s.code()));
    a->set_message(s.message());
  }
  return s;
}

TraceRecorder::TraceRecorder(Signer& signer, Application& app)
    : signer_(signer, *this), app_(app, *this) {}

void TraceRecorder::header(const Config& config, const std::map<std::string, std::string>& persisted,
                           uint64_t last_height, const crypto::Hash& last_block_hash,
                           const crypto::Hash& last_state_root, uint64_t last_timestamp_ms,
                           const std::string& node_name, const crypto::Hash& last_history,
                           std::optional<TipFacts> tip) {
  TraceRecord r;
  TraceHeader* h = r.mutable_header();
  h->set_format(kTraceFormat);
  h->set_chain_id(config.chain_id);
  for (const auto& v : config.validators) h->add_validator_keys(v.public_key);
  h->set_self(config.self);
  h->set_max_block_txs(config.max_block_txs);
  h->set_max_block_bytes(config.max_block_bytes);
  h->set_batch_delay_ms(config.batch_delay_ms);
  h->set_checkpoint_interval(config.checkpoint_interval);
  h->set_window(config.window);
  h->set_view_timeout_ms(config.view_timeout_ms);
  h->set_max_clock_skew_ms(config.max_clock_skew_ms);
  h->set_resend_interval_ms(config.resend_interval_ms);
  h->set_epoch(config.epoch);
  h->set_epoch_start(config.epoch_start);
  if (config.epoch > 0) h->set_epoch_start_hash(hash_string(config.epoch_start_hash));
  if (config.epoch_end) {
    h->set_epoch_last_height(config.epoch_end->last_height);
    h->set_epoch_next_set_hash(hash_string(config.epoch_end->next_set_hash));
  }
  for (const auto& [k, v] : persisted) {
    TraceEntry* e = h->add_persisted();
    e->set_key(k);
    e->set_value(v);
  }
  h->set_last_height(last_height);
  if (tip) {
    h->set_tip_known(true);
    h->set_tip_state_height(tip->state_height);
    h->set_tip_has_transactions(tip->has_transactions);
  }
  h->set_last_block_hash(hash_string(last_block_hash));
  h->set_last_state_root(hash_string(last_state_root));
  h->set_last_timestamp_ms(last_timestamp_ms);
  h->set_node(node_name);
  h->set_last_history(hash_string(last_history));
  append(r);
}

TraceInput& TraceRecorder::begin(TraceInputKind kind, uint64_t now_ms) {
  current_.Clear();
  TraceInput* in = current_.mutable_input();
  in->set_kind(kind);
  in->set_now_ms(now_ms);
  open_ = true;
  return *in;
}

void TraceRecorder::end(const Actions& actions) {
  TraceInput* in = current_.mutable_input();
  in->set_actions_digest(hash_string(actions_digest(actions)));
  in->set_action_count(static_cast<uint32_t>(actions.size()));
  open_ = false;
  ++inputs_;
  append(current_);
}

void TraceRecorder::append(const TraceRecord& record) {
  const size_t before = buffer_.size();
  append_record(buffer_, record);
  bytes_ += buffer_.size() - before;
}

std::string TraceRecorder::take() {
  std::string out;
  out.swap(buffer_);
  return out;
}

void append_record(std::string& out, const TraceRecord& record) {
  put_varint(out, record.ByteSizeLong());
  record.AppendToString(&out);
}

// ---------------------------------------------------------------------------------------------
// Driving.

Actions TracedEngine::start(uint64_t now) {
  if (rec_ == nullptr) return engine_->start(now);
  rec_->begin(TRACE_START, now);
  Actions a = engine_->start(now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_message(const Envelope& envelope, uint64_t now) {
  if (rec_ == nullptr) return engine_->on_message(envelope, now);
  *rec_->begin(TRACE_MESSAGE, now).mutable_envelope() = envelope;
  Actions a = engine_->on_message(envelope, now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_timer(TimerId id, uint64_t now) {
  if (rec_ == nullptr) return engine_->on_timer(id, now);
  rec_->begin(TRACE_TIMER, now).set_timer(static_cast<uint32_t>(id));
  Actions a = engine_->on_timer(id, now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_request(std::vector<Tx> txs, uint64_t now) {
  if (rec_ == nullptr) return engine_->on_request(std::move(txs), now);
  TraceInput& in = rec_->begin(TRACE_REQUEST, now);
  for (const Tx& tx : txs) {
    TraceTx* t = in.add_txs();
    t->set_hash(hash_string(tx.hash));
    t->set_bytes(tx.bytes);
  }
  Actions a = engine_->on_request(std::move(txs), now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_executed(uint64_t height, const crypto::Hash& root, const crypto::Hash& history,
                                  uint64_t now) {
  if (rec_ == nullptr) return engine_->on_executed(height, root, history, now);
  TraceInput& in = rec_->begin(TRACE_EXECUTED, now);
  in.set_height(height);
  in.set_state_root(hash_string(root));
  in.set_history(hash_string(history));
  Actions a = engine_->on_executed(height, root, history, now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_state_transferred(uint64_t height, const crypto::Hash& block_hash,
                                           const crypto::Hash& root, uint64_t timestamp_ms,
                                           uint64_t now, const crypto::Hash& history) {
  if (rec_ == nullptr) return engine_->on_state_transferred(height, block_hash, root, timestamp_ms, now, history);
  TraceInput& in = rec_->begin(TRACE_STATE_TRANSFERRED, now);
  in.set_height(height);
  in.set_block_hash(hash_string(block_hash));
  in.set_state_root(hash_string(root));
  in.set_timestamp_ms(timestamp_ms);
  in.set_history(hash_string(history));
  Actions a = engine_->on_state_transferred(height, block_hash, root, timestamp_ms, now, history);
  rec_->end(a);
  return a;
}

Actions TracedEngine::on_transactions_committed(const std::vector<crypto::Hash>& hashes,
                                                uint64_t now) {
  if (rec_ == nullptr) return engine_->on_transactions_committed(hashes, now);
  TraceInput& in = rec_->begin(TRACE_TRANSACTIONS_COMMITTED, now);
  for (const auto& h : hashes) in.add_hashes(hash_string(h));
  Actions a = engine_->on_transactions_committed(hashes, now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::probe_peers(uint64_t now) {
  if (rec_ == nullptr) return engine_->probe_peers(now);
  rec_->begin(TRACE_PROBE_PEERS, now);
  Actions a = engine_->probe_peers(now);
  rec_->end(a);
  return a;
}

Actions TracedEngine::set_epoch_end(const EpochEnd& end, uint64_t now) {
  if (rec_ == nullptr) return engine_->set_epoch_end(end, now);
  TraceInput& in = rec_->begin(TRACE_EPOCH_END, now);
  in.set_height(end.last_height);
  in.set_next_set_hash(hash_string(end.next_set_hash));
  Actions a = engine_->set_epoch_end(end, now);
  rec_->end(a);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Reading.

bool TraceReader::next(TraceRecord& record) {
  if (!error_.empty() || truncated_) return false;
  uint64_t len = 0;
  int shift = 0;
  size_t prefix = 0;
  while (true) {
    const int c = in_.get();
    if (c == std::char_traits<char>::eof()) {
      if (prefix > 0) truncated_ = true;  // else: a clean end
      return false;
    }
    ++prefix;
    if (shift > 63) {
      error_ = "record " + std::to_string(records_ + 1) + " at byte " + std::to_string(offset_) +
               ": bad length prefix";
      return false;
    }
    len |= static_cast<uint64_t>(c & 0x7f) << shift;
    shift += 7;
    if ((c & 0x80) == 0) break;
  }
  if (len > (uint64_t{1} << 31)) {
    error_ = "record " + std::to_string(records_ + 1) + " at byte " + std::to_string(offset_) +
             ": length " + std::to_string(len) + " is not plausible";
    return false;
  }
  std::string body(len, '\0');
  in_.read(body.data(), static_cast<std::streamsize>(len));
  if (static_cast<uint64_t>(in_.gcount()) != len) {
    truncated_ = true;
    return false;
  }
  if (!record.ParseFromString(body)) {
    error_ = "record " + std::to_string(records_ + 1) + " at byte " + std::to_string(offset_) +
             " does not decode";
    return false;
  }
  offset_ += prefix + len;
  ++records_;
  return true;
}

std::string describe_input(const TraceInput& in) {
  std::string s = input_kind_name(in.kind());
  switch (in.kind()) {
    case TRACE_MESSAGE: {
      s += " from " + std::to_string(in.envelope().validator()) + ": ";
      auto m = decode(in.envelope());
      s += m ? summarize(*m) : std::string("(does not decode)");
      break;
    }
    case TRACE_TIMER:
      s += std::string(" ") + timer_name(static_cast<TimerId>(in.timer()));
      break;
    case TRACE_REQUEST:
      s += " of " + std::to_string(in.txs_size()) + " txs";
      break;
    case TRACE_EXECUTED:
      s += " height " + std::to_string(in.height()) + " root " +
           crypto::to_hex(in.state_root()).substr(0, 16);
      break;
    case TRACE_STATE_TRANSFERRED:
      s += " to height " + std::to_string(in.height()) + " block " +
           crypto::to_hex(in.block_hash()).substr(0, 16);
      break;
    case TRACE_TRANSACTIONS_COMMITTED:
      s += ": " + std::to_string(in.hashes_size()) + " txs";
      break;
    case TRACE_EPOCH_END:
      s += " at height " + std::to_string(in.height()) + ", next set " +
           crypto::to_hex(in.next_set_hash()).substr(0, 16);
      break;
    default:
      break;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Replaying.

namespace {

// Hands back the recorded signatures and answers of the input being replayed, and notes any
// call the recording does not have (the replay has diverged).
struct Playback {
  const TraceInput* input = nullptr;
  int next_signature = 0;
  int next_answer = 0;
  std::string mismatch;

  void reset(const TraceInput* in) {
    input = in;
    next_signature = 0;
    next_answer = 0;
    mismatch.clear();
  }
  void finish() {
    if (input == nullptr || !mismatch.empty()) return;
    if (next_signature != input->signatures_size()) {
      mismatch = "asked for " + std::to_string(next_signature) + " signatures, recorded " +
                 std::to_string(input->signatures_size());
    } else if (next_answer != input->answers_size()) {
      mismatch = "asked the application " + std::to_string(next_answer) + " times, recorded " +
                 std::to_string(input->answers_size());
    }
  }
};

class PlaybackSigner final : public Signer {
 public:
  explicit PlaybackSigner(Playback& p) : p_(p) {}
  std::string sign(const crypto::Hash&) override {
    if (p_.input == nullptr || p_.next_signature >= p_.input->signatures_size()) {
      if (p_.mismatch.empty()) p_.mismatch = "asked for a signature the recording does not have";
      ++p_.next_signature;
      return std::string(crypto::kSignatureSize, '\0');
    }
    return p_.input->signatures(p_.next_signature++);
  }

 private:
  Playback& p_;
};

class PlaybackApplication final : public Application {
 public:
  explicit PlaybackApplication(Playback& p) : p_(p) {}
  Status validate_proposal(const BlockHeader&, const Block&) override {
    if (p_.input == nullptr || p_.next_answer >= p_.input->answers_size()) {
      if (p_.mismatch.empty()) {
        p_.mismatch = "asked the application about a proposal the recording does not have";
      }
      ++p_.next_answer;
      return Status::ok();
    }
    const TraceAnswer& a = p_.input->answers(p_.next_answer++);
    return Status(static_cast<Code>(a.code()), a.message());
  }

 private:
  Playback& p_;
};

Config config_from(const TraceHeader& h) {
  Config c;
  c.chain_id = h.chain_id();
  for (const auto& k : h.validator_keys()) c.validators.push_back(ValidatorInfo{k});
  c.self = h.self();
  c.max_block_txs = h.max_block_txs();
  c.max_block_bytes = h.max_block_bytes();
  c.batch_delay_ms = h.batch_delay_ms();
  c.checkpoint_interval = h.checkpoint_interval();
  c.window = h.window();
  c.view_timeout_ms = h.view_timeout_ms();
  c.max_clock_skew_ms = h.max_clock_skew_ms();
  c.resend_interval_ms = h.resend_interval_ms();
  c.epoch = h.epoch();
  c.epoch_start = h.epoch_start();
  c.epoch_start_hash = to_hash(h.epoch_start_hash());
  if (h.epoch_last_height() > 0) {
    c.epoch_end = EpochEnd{h.epoch_last_height(), to_hash(h.epoch_next_set_hash())};
  }
  return c;
}

struct Segment {
  Config config;
  std::unique_ptr<Verifier> own_verifier;
  Playback playback;
  std::unique_ptr<PlaybackSigner> signer;
  std::unique_ptr<PlaybackApplication> app;
  std::unique_ptr<Engine> engine;
};

Actions feed(Engine& e, const TraceInput& in) {
  const uint64_t now = in.now_ms();
  switch (in.kind()) {
    case TRACE_START:
      return e.start(now);
    case TRACE_MESSAGE:
      return e.on_message(in.envelope(), now);
    case TRACE_TIMER:
      return e.on_timer(static_cast<TimerId>(in.timer()), now);
    case TRACE_REQUEST: {
      std::vector<Tx> txs;
      txs.reserve(static_cast<size_t>(in.txs_size()));
      for (const auto& t : in.txs()) txs.push_back(Tx{to_hash(t.hash()), t.bytes()});
      return e.on_request(std::move(txs), now);
    }
    case TRACE_EXECUTED:
      return e.on_executed(in.height(), to_hash(in.state_root()), to_hash(in.history()), now);
    case TRACE_STATE_TRANSFERRED:
      return e.on_state_transferred(in.height(), to_hash(in.block_hash()),
                                    to_hash(in.state_root()), in.timestamp_ms(), now,
                                    to_hash(in.history()));
    case TRACE_TRANSACTIONS_COMMITTED: {
      std::vector<crypto::Hash> hashes;
      for (const auto& h : in.hashes()) hashes.push_back(to_hash(h));
      return e.on_transactions_committed(hashes, now);
    }
    case TRACE_PROBE_PEERS:
      return e.probe_peers(now);
    case TRACE_EPOCH_END:
      return e.set_epoch_end(EpochEnd{in.height(), to_hash(in.next_set_hash())}, now);
    default:
      return {};
  }
}

}  // namespace

ReplayReport replay_trace(std::istream& in, Verifier* verifier,
                          const std::function<void(const ReplayStep&)>& observe) {
  ReplayReport report;
  TraceReader reader(in);
  std::unique_ptr<Segment> seg;
  auto close_segment = [&] {
    if (!seg) return;
    report.view = seg->engine->view();
    report.committed = seg->engine->committed_height();
    report.executed = seg->engine->executed_height();
    report.rejections += seg->engine->rejections_total();
    if (seg->engine->halted()) {
      ++report.halts;
      report.halt_reason = seg->engine->halt_reason();
    }
    seg.reset();
  };
  TraceRecord record;
  while (reader.next(record)) {
    if (record.has_header()) {
      close_segment();
      const TraceHeader& h = record.header();
      if (h.format() != kTraceFormat) {
        report.error = "segment " + std::to_string(report.segments + 1) + " has trace format " +
                       std::to_string(h.format()) + "; this build reads format " +
                       std::to_string(kTraceFormat);
        return report;
      }
      ++report.segments;
      seg = std::make_unique<Segment>();
      seg->config = config_from(h);
      if (verifier == nullptr) seg->own_verifier = std::make_unique<KeyVerifier>(seg->config.validators);
      seg->signer = std::make_unique<PlaybackSigner>(seg->playback);
      seg->app = std::make_unique<PlaybackApplication>(seg->playback);
      std::map<std::string, std::string> persisted;
      for (const auto& e : h.persisted()) persisted[e.key()] = e.value();
      seg->engine = std::make_unique<Engine>(
          seg->config, *seg->signer, verifier ? *verifier : *seg->own_verifier, *seg->app,
          persisted, h.last_height(), to_hash(h.last_block_hash()), to_hash(h.last_state_root()),
          h.last_timestamp_ms(), to_hash(h.last_history()),
          h.tip_known() ? std::optional<TipFacts>(TipFacts{h.tip_state_height(), h.tip_has_transactions()})
                        : std::nullopt);
      continue;
    }
    if (!record.has_input()) {
      report.error = "record " + std::to_string(reader.records()) + " is neither a header nor an input";
      break;
    }
    if (!seg) {
      report.error = "the trace does not start with a header";
      break;
    }
    const TraceInput& input = record.input();
    ++report.inputs;
    seg->playback.reset(&input);
    const Actions actions = feed(*seg->engine, input);
    seg->playback.finish();
    const crypto::Hash digest = actions_digest(actions);
    const bool same_actions = hash_string(digest) == input.actions_digest();
    const bool identical = same_actions && seg->playback.mismatch.empty();
    if (observe) observe(ReplayStep{report.inputs, &input, &actions, identical, seg->engine.get()});
    if (!identical) {
      report.first_divergence = report.inputs;
      std::string what;
      if (!same_actions) {
        what = std::to_string(actions.size()) + " actions (recorded " +
               std::to_string(input.action_count()) + ") with another digest";
      }
      if (!seg->playback.mismatch.empty()) {
        what += (what.empty() ? "" : "; ") + seg->playback.mismatch;
      }
      report.divergence = "input " + std::to_string(report.inputs) + " (" + describe_input(input) +
                          " at " + std::to_string(input.now_ms()) + " ms): " + what;
      break;
    }
  }
  close_segment();
  report.truncated = reader.truncated();
  if (report.error.empty() && !reader.error().empty()) report.error = reader.error();
  return report;
}

}  // namespace sharechain::consensus
