// SubscribeEvents: the events of committed receipts that pass a filter, from a cursor on.
#include <spdlog/spdlog.h>

#include "node/api_bytes.hpp"
#include "node/api_service.hpp"
#include "node/event_feed.hpp"

namespace sharechain::node {

namespace {
// Blocks one pump reads at most before it writes something (a progress mark if nothing passed),
// so a sparse filter over a long history neither holds the commit thread nor goes silent.
constexpr int kBlocksPerPump = 32;
}  // namespace

// Like BlockStream it reads blocks from the store when the client is ready for more, so a slow
// subscriber only falls behind.
class ClientService::EventStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  EventStream(ClientService& service, grpc::CallbackServerContext* ctx, EventFilter filter, api::EventCursor from)
      : service_(service), ctx_(ctx), filter_(std::move(filter)), next_(std::move(from)) {}

  void pump() {
    {
      std::lock_guard lock(mu_);
      if (writing_ || finished_) return;
      const auto& store = service_.node_.chain().store();
      bool have = false;
      for (int read = 0; read < kBlocksPerPump && next_.height() <= store.height(); ++read) {
        if (store.gap_at(next_.height())) {
          // A gap-free stream cannot go on here; the client resumes from its cursor elsewhere.
          finish_locked(to_grpc(service_.not_backfilled(next_.height())));
          return;
        }
        auto block = service_.node_.chain().block_info(next_.height());
        if (!block) break;
        api::EventBatch batch = events_of(*block, next_.index(), filter_);
        next_ = batch.next();
        if (batch.events_size() > 0) {
          current_ = std::move(batch);
          have = true;
          break;
        }
        // Nothing passed in this block: remember it, so the stream tells the client how far it
        // got once it stops reading.
        passed_ = std::move(batch);
        passed_.clear_events();
      }
      if (!have) {
        if (!passed_.has_next()) return;  // at the tip with nothing new: wait for a commit
        current_ = std::move(passed_);
      }
      passed_.Clear();
      bytes_ = to_bytes(current_);
      writing_ = true;
    }
    // Outside the lock: a reaction may run before StartWrite returns.
    StartWrite(&bytes_);
  }

  void refuse(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    finish_locked(status);
  }

  void close() {
    std::lock_guard lock(mu_);
    finish_locked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is shutting down"));
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) {
        finish_locked(grpc::Status::CANCELLED);
        return;
      }
    }
    pump();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    if (!writing_) finish_locked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard lock(service_.subscribers_mu_);
      service_.event_subscribers_.erase(this);
    }
    delete this;
  }

 private:
  void finish_locked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  ClientService& service_;
  grpc::CallbackServerContext* ctx_;
  const EventFilter filter_;
  std::mutex mu_;
  api::EventCursor next_;
  bool writing_ = false;
  bool finished_ = false;
  api::EventBatch current_;
  api::EventBatch passed_;  // the last block read without a passing event, if any since a write
  grpc::ByteBuffer bytes_;  // current_, as written
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* ClientService::SubscribeEvents(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in) {
  api::SubscribeEventsRequest request;
  if (!parse_bytes(*in, request)) {
    auto* stream = new EventStream(*this, ctx, EventFilter{}, api::EventCursor{});
    stream->refuse(unparsable<api::SubscribeEventsRequest>("the request", *in));
    return stream;
  }
  return subscribe_events(ctx, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ClientService::subscribe_events(
    grpc::CallbackServerContext* ctx, const api::SubscribeEventsRequest& request) {
  api::EventCursor from;
  if (request.has_cursor()) {
    from = request.cursor();
    if (from.height() == 0) from.set_index(0);
    from.set_height(std::max<std::uint64_t>(from.height(), 1));
  } else {
    from.set_height(node_.chain().store().height() + 1);
  }
  auto filter = EventFilter::compile(request.filter());
  auto* stream = new EventStream(*this, ctx, filter ? std::move(filter).value() : EventFilter{}, from);
  if (!filter) {
    stream->refuse(to_grpc(filter.status()));
    return stream;
  }
  {
    std::lock_guard lock(subscribers_mu_);
    if (!subscription_fits_locked()) {
      stream->refuse(too_many_subscriptions());
      return stream;
    }
    stream->StartSendInitialMetadata();
    event_subscribers_.insert(stream);
  }
  spdlog::debug("event subscription from height {} index {}", from.height(), from.index());
  stream->pump();
  return stream;
}

void ClientService::notify_event_subscribers_locked() {
  for (EventStream* s : event_subscribers_) s->pump();
}

void ClientService::close_event_subscribers_locked() {
  for (EventStream* s : event_subscribers_) s->close();
}

}  // namespace sharechain::node
