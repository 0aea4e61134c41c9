/*
 * A WASI command that depends on its environment: it rolls dice with
 * getentropy (WASI `random_get`), stamps the time with clock_gettime
 * (`clock_time_get`) and prints through stdio (`fd_write`). Run directly,
 * its output changes on every run; under the virtualizer of
 * `virtualizer.wat` it is reproducible.
 *
 * Built with `-Wl,--import-memory`, so its linear memory is `env.memory`,
 * which the virtualizer imports too: the virtualizer reads the iovecs the
 * app passes to `fd_write` from the one memory both share.
 */
#include <stdio.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    uint8_t bytes[6];
    if (getentropy(bytes, sizeof bytes) != 0) {
        perror("getentropy");
        return 1;
    }
    printf("dice:");
    for (size_t i = 0; i < sizeof bytes; i++) {
        printf(" %u", 1 + bytes[i] % 6);
    }
    printf("\n");

    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
        perror("clock_gettime");
        return 1;
    }
    printf("time: %lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);

    struct timespec later;
    clock_gettime(CLOCK_MONOTONIC, &later);
    printf("monotonic: %lld ns\n",
           (long long)later.tv_sec * 1000000000LL + later.tv_nsec);

    fflush(stdout);
    /* A distinctive exit status, so runs compare it too. */
    return 7;
}
