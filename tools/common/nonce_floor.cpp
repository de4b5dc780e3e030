#include "tools/common/nonce_floor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>

#include "proto/crypto.hpp"
#include "tools/common/client.hpp"
#include "tools/common/files.hpp"
#include "tools/common/render.hpp"

namespace sharechain::tools {
namespace {

// Serialises read-modify-write cycles of wallets running at once, so a floor is never lowered
// by a slower writer that read the file before a faster one raised it.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& file)
      : fd_(::open((file.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

Result<Json> load(const std::filesystem::path& file) {
  Result<std::string> text = read_file(file);
  if (!text) {
    if (text.status().code() == Code::kNotFound) return Json::object();
    return text.status();
  }
  Json doc = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return Status::failed_precondition(file.string() +
                                       " is not a JSON object of nonce floors; remove it to start "
                                       "afresh (the wallet then trusts the node's nonce)");
  }
  return doc;
}

Status store(const std::filesystem::path& file, const Json& doc) {
  return write_file_atomic(file, doc.dump(1) + "\n", 0600, Overwrite::kYes);
}

}  // namespace

Result<std::optional<NonceFloor>> NonceFloors::get(std::string_view chain_id,
                                                   std::string_view address20) const {
  Result<Json> doc = load(file_);
  if (!doc) return doc.status();
  const std::string address = crypto::to_hex(address20);
  const auto chain = doc->find(std::string(chain_id));
  if (chain == doc->end() || !chain->is_object()) return std::optional<NonceFloor>{};
  const auto entry = chain->find(address);
  if (entry == chain->end() || !entry->is_object()) return std::optional<NonceFloor>{};
  const auto next = entry->find("next_nonce");
  const auto height = entry->find("height");
  if (next == entry->end() || height == entry->end() || !next->is_number_unsigned() ||
      !height->is_number_unsigned()) {
    return Status::failed_precondition(file_.string() + ": the entry of " + address +
                                       " lacks next_nonce or height; remove it to start afresh");
  }
  return std::optional<NonceFloor>{NonceFloor{next->get<std::uint64_t>(), height->get<std::uint64_t>()}};
}

Status NonceFloors::raise(std::string_view chain_id, std::string_view address20,
                          const NonceFloor& floor) const {
  FileLock lock(file_);
  if (!lock.held()) return Status::internal("cannot lock " + file_.string() + ".lock");
  Result<Json> doc = load(file_);
  if (!doc) return doc.status();
  Json& chain = (*doc)[std::string(chain_id)];
  if (chain.is_null()) chain = Json::object();
  if (!chain.is_object()) {
    return Status::failed_precondition(file_.string() + ": the entry of chain " +
                                       std::string(chain_id) +
                                       " is not an object; remove the file to start afresh");
  }
  Json& entry = chain[crypto::to_hex(address20)];
  if (const auto next = entry.is_object() ? entry.find("next_nonce") : entry.end();
      next != entry.end() && next->is_number_unsigned() &&
      next->get<std::uint64_t>() >= floor.next_nonce) {
    return Status::ok();
  }
  entry = Json{{"next_nonce", floor.next_nonce}, {"height", floor.height}};
  return store(file_, *doc);
}

Status NonceFloors::forget(std::string_view chain_id, std::string_view address20) const {
  FileLock lock(file_);
  if (!lock.held()) return Status::internal("cannot lock " + file_.string() + ".lock");
  Result<Json> doc = load(file_);
  if (!doc) return doc.status();
  const auto chain = doc->find(std::string(chain_id));
  if (chain == doc->end() || !chain->is_object() || chain->erase(crypto::to_hex(address20)) == 0) {
    return Status::ok();
  }
  return store(file_, *doc);
}

NodeView read_node_view(client::Node& node, std::string_view address20, NonceCount count) {
  NodeView view;
  Outcome<api::NodeStatus> status = node.status();
  if (!status) return view;
  Outcome<std::optional<ledger::Account>> account = node.account(address20);
  if (!account) return view;
  view.height = status->height();
  if (*account) {
    const ledger::Account& a = **account;
    view.next_nonce = count == NonceCount::kWithPending ? std::max(a.nonce(), a.next_nonce()) : a.nonce();
  }
  return view;
}

}  // namespace sharechain::tools
