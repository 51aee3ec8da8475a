#pragma once
// How an HTTP backend's failures map onto StorageFailure, the same for S3, Azure, GCS and WebDAV.
#include <string>

#include "cache/storage.hpp"
#include "net/http.hpp"

namespace sccache {

// An unexpected HTTP status: 401/403 are refused credentials, anything else an unavailable backend.
inline StorageFailure failure_of_status(long status) {  // NOLINT(google-runtime-int): libcurl's type
  return status == 401 || status == 403 ? StorageFailure::denied : StorageFailure::unavailable;
}

// A request that got no answer (`error` from HttpClient::perform): a timeout or an unavailable backend.
inline Error unanswered(const Error& error, const std::string& what) {
  return storage_error(error.code == kHttpTimedOut ? StorageFailure::timeout : StorageFailure::unavailable,
                       what + ": " + error.message);
}

}  // namespace sccache
