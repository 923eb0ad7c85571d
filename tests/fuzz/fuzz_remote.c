/*
 * fuzz_remote.c - libFuzzer harness for the GDB remote protocol client
 * (targets/valgrind/remote.c): what vgdb relays from memcheck's gdbserver
 * is read as frames ($payload#cs, run-length encoding, acks) from a byte
 * stream the traced program can influence.
 *
 *   tests/sh/test_fuzz.sh builds and runs it (clang, -fsanitize=fuzzer,
 *   address,undefined) from tests/fuzz/corpus/remote for a bounded time.
 *
 * The input's first byte picks ack or no-ack mode; the rest is the stream,
 * written into a socketpair whose other end then closes, and received
 * packet by packet until the client stops. Invariants checked: every
 * packet is NUL-terminated at its length and within VGM_PKT_MAX; a
 * failure says why; the stream's end is seen (no hang: the deadline is
 * short); unescaping never grows a payload.
 */
#include "targets/valgrind/remote_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tracer/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the socket buffer holds it all: the writer never blocks */
    if (size < 1 || size > (64u << 10))
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    int bufsz = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
        abort();
    shutdown(sv[1], SHUT_WR); /* the client's acks still go through */

    char err[TR_ERRBUF_LEN];
    struct vg_remote r;
    vg_remote_init(&r, sv[0], err);
    r.noack = data[0] & 1;
    for (int i = 0; i < 4096; i++) {
        err[0] = '\0';
        enum tr_err rc = vg_remote_recv(&r, tr_now_ms() + 200);
        if (rc == TR_ERR_TIMEOUT)
            abort(); /* all bytes were there and the stream ended */
        if (rc != TR_OK) {
            if (rc != TR_ERR_GONE && (err[0] == '\0' || strnlen(err, sizeof err) == sizeof err))
                abort();
            break;
        }
        if (r.pkt_len > VGM_PKT_MAX || r.pkt[r.pkt_len] != '\0')
            abort();
        (void)vg_remote_is_console(&r);
        char *copy = malloc(r.pkt_len + 1);
        if (!copy)
            abort();
        memcpy(copy, r.pkt, r.pkt_len + 1);
        size_t n = vg_remote_unescape(copy, r.pkt_len);
        if (n != (size_t)-1 && n > r.pkt_len)
            abort();
        free(copy);
    }
    vg_remote_free(&r);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
