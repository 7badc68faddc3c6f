/*
 * replay_main.c - a main() for the fuzz harnesses outside libFuzzer.
 *
 * `make check` links every fuzz/fuzz_*.c with this file and runs it over
 * the stored inputs (fuzz/corpus/<harness>/ seeds and fuzz/regress/<harness>/
 * crashes found and fixed), so every past finding is replayed on every run,
 * under the sanitizers too.  Arguments are files or directories; a missing
 * directory is skipped.  Prints one TAP line per directory.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("# cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue;
        if (!S_ISDIR(st.st_mode)) {
            int rc = replay_file(argv[i]);
            printf("%s - replay %s\n", rc == 0 ? "ok" : "not ok", argv[i]);
            failed |= rc != 0;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d)
            continue;
        struct dirent *e;
        int n = 0, bad = 0;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (replay_file(path) != 0)
                bad++;
            n++;
        }
        closedir(d);
        printf("%s - replayed %d inputs from %s\n", bad ? "not ok" : "ok", n, argv[i]);
        failed |= bad != 0;
    }
    return failed;
}
