#pragma once
// Client <-> server messages as plain structs, and their binary encoding (docs/protocol.md).
// Every frame is a u32 big-endian length + payload; payloads start with a magic and version so
// that a different program or an older server on the port is refused, never misread.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/stats.hpp"
#include "util/expected.hpp"

namespace sccache {

constexpr uint32_t kProtocolVersion = 4;  // 2: stats gained cache_writes_skipped; 3: dist status; 4: hits by level
// The server's first frame on every connection; the client checks it before anything else.
std::string greeting_payload();
bool is_greeting(const std::string& payload);

struct ZeroStatsRequest {};
struct GetStatsRequest {};
struct ShutdownRequest {};
struct CompileRequest {
  std::string exe;
  std::string cwd;
  std::vector<std::string> args;
  std::vector<std::string> env;
  uint32_t umask = 022;
  bool stderr_is_tty = false;
};
struct DistStatusRequest {};
using Request = std::variant<ZeroStatsRequest, GetStatsRequest, ShutdownRequest, CompileRequest, DistStatusRequest>;

struct StatsResponse {
  ServerInfo info;
};
struct ShuttingDownResponse {
  ServerInfo info;
};
// Not cacheable or not a compile: the client runs the command itself.
struct CompileUnhandled {
  std::string reason;
};
enum class WireColor : uint8_t { off = 0, on = 1, automatic = 2 };
struct CompileFinished {
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string stdout_data;
  std::string stderr_data;
  WireColor color = WireColor::automatic;
};
struct ErrorResponse {
  std::string message;
};
// `sccache --dist-status`: the JSON document of SPEC 3.4, as the client prints it.
struct DistStatusResponse {
  std::string json;
};
using Response =
    std::variant<StatsResponse, ShuttingDownResponse, CompileUnhandled, CompileFinished, ErrorResponse, DistStatusResponse>;

std::string encode_request(const Request& r);
Expected<Request> decode_request(const std::string& payload);
std::string encode_response(const Response& r);
Expected<Response> decode_response(const std::string& payload);

// Blocking frame I/O on a socket. `timeout_ms` bounds the whole frame (a peer dripping bytes
// does not reset it); < 0 waits forever. A frame larger than `max_size` is refused before any
// of it is read, and the buffer grows only as bytes arrive.
Status write_frame(int fd, const std::string& payload);
Expected<std::string> read_frame(int fd, int timeout_ms, uint32_t max_size = 256U << 20);

}  // namespace sccache
