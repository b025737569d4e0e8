// The write side of a decrypted leg's TLS connection: an OpenSSL BIO that gathers the records
// OpenSSL writes into one buffer and hands them to the socket in one send(2) when flushed or
// full, instead of one write(2) per record.
//
// Why: relaying a large body, OpenSSL writes one record of at most 16 KiB per SSL_write, and on
// a veth or loopback path each write(2) runs the receiver's TCP input and wakes it up inline, in
// the proxy's own system time. Up to kCoalescingBioBytes of records leave in one send(2).
//
// Contract (OpenSSL's BIO rules for non-blocking sockets):
//   - write: takes the whole record into the buffer; when it does not fit, the buffer is sent
//     first, and if the socket cannot take enough of it the write fails with the retry flag set
//     (SSL_write then reports SSL_ERROR_WANT_WRITE), nothing taken.
//   - BIO_flush: sends what the buffer holds; 1 when it is empty, else <= 0 with the retry flag
//     set (socket full: wait for EPOLLOUT and flush again) or not (an error, errno set).
//     OpenSSL flushes after every handshake flight and alert, so handshakes are unchanged; the
//     relay flushes when it stops reading (TlsSession::pumpFlow).
//   - BIO_wpending: the bytes the buffer holds.
// The buffer is taken from a small per-thread pool on the first write and given back whenever it
// is empty again, so an idle connection holds none. The socket stays open when the BIO is freed
// (the session's leg owns it).
#pragma once

#include <openssl/bio.h>

#include <cstddef>

namespace vtps::proxy {

inline constexpr std::size_t kCoalescingBioBytes = 64 * 1024;

// A new coalescing BIO writing to `fd`; nullptr when OpenSSL cannot allocate it.
BIO* newCoalescingBio(int fd);

}  // namespace vtps::proxy
