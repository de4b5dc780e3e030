// The on-disk key layout of every column family. Integers are fixed-width big-endian so that
// RocksDB's byte order is numeric order: iterating `blocks` or `receipts` walks heights upwards.
// Changing anything here is a change of the storage format (bump kFormatVersion).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/crypto.hpp"

namespace sharechain::storage::keys {

// 2: the history chain (history/ and gap/ in meta, chain/history in state).
inline constexpr std::uint64_t kFormatVersion = 2;

// Column family names, in the order Db keeps their handles.
inline constexpr const char* kBlocks = "blocks";
inline constexpr const char* kIndex = "index";
inline constexpr const char* kReceipts = "receipts";
inline constexpr const char* kState = "state";
inline constexpr const char* kConsensus = "consensus";
inline constexpr const char* kMeta = "meta";

// meta keys
inline constexpr std::string_view kMetaFormat = "format_version";        // u64
inline constexpr std::string_view kMetaGenesisHash = "genesis_hash";     // 32 bytes
inline constexpr std::string_view kMetaHeight = "height";                // u64
inline constexpr std::string_view kMetaLastBlockHash = "last_block_hash";  // 32 bytes
inline constexpr std::string_view kMetaLastTimestamp = "last_timestamp_ms";  // u64
inline constexpr std::string_view kMetaStateRoot = "state_root";         // 32 bytes
inline constexpr std::string_view kMetaAccumulator = "accumulator";      // 2048 bytes
inline constexpr std::string_view kMetaStateCommitment = "state_commitment";  // u64 StateCommitment
inline constexpr std::string_view kMetaStateTree = "state_tree";         // u64 1: the root commits to a state tree
inline constexpr std::string_view kMetaRootPrefix = "root/";             // + u64 height -> 32 bytes
inline constexpr std::string_view kMetaHistoryPrefix = "history/";       // + u64 height -> 32 bytes
inline constexpr std::string_view kMetaGapPrefix = "gap/";               // + u64 low -> gap record
// Chains with a state tree: + u64 height -> LtHash root || tree root (64 bytes), so that a node
// reopened on a quiet chain knows which recent certified states its tree still proves.
inline constexpr std::string_view kMetaTreeRootsPrefix = "tree/";

std::string u64(std::uint64_t v);
std::optional<std::uint64_t> parse_u64(std::string_view raw);

std::string height_key(std::uint64_t height);                         // blocks
std::string receipt_key(std::uint64_t height, std::uint32_t index);   // receipts
std::string root_key(std::uint64_t height);                           // meta
std::string history_key(std::uint64_t height);                        // meta
std::string gap_key(std::uint64_t low);                               // meta
std::string tree_roots_key(std::uint64_t height);                     // meta
std::string block_hash_key(const crypto::Hash& hash);                 // index: 'B' + hash
std::string tx_hash_key(const crypto::Hash& hash);                    // index: 'T' + hash
// index value of a tx: u64 height + u32 position
std::string tx_location(std::uint64_t height, std::uint32_t index);
bool parse_tx_location(std::string_view raw, std::uint64_t* height, std::uint32_t* index);

// The smallest key greater than every key starting with `prefix`; nullopt when there is none
// (empty prefix or all 0xff bytes), i.e. the scan runs to the end.
std::optional<std::string> prefix_end(std::string_view prefix);

}  // namespace sharechain::storage::keys
