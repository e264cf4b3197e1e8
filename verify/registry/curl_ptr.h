// Owning pointers for libcurl handles, one deleter per type, so no handle is
// freed by hand on any error path.
#ifndef PULLSENTRY_VERIFY_REGISTRY_CURL_PTR_H_
#define PULLSENTRY_VERIFY_REGISTRY_CURL_PTR_H_

#include <curl/curl.h>

#include <memory>

namespace pullsentry::registry {

template <auto Free>
struct CurlDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using CurlPtr = std::unique_ptr<CURL, CurlDeleter<curl_easy_cleanup>>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlDeleter<curl_slist_free_all>>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlDeleter<curl_url_cleanup>>;

// A string curl allocated (curl_url_get); freed with curl_free.
struct CurlFreeDeleter {
  void operator()(char* p) const { curl_free(p); }
};
using CurlStringPtr = std::unique_ptr<char, CurlFreeDeleter>;

}  // namespace pullsentry::registry

#endif  // PULLSENTRY_VERIFY_REGISTRY_CURL_PTR_H_
