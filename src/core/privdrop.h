/*
 * privdrop.h - give up root after the capture device is open
 * (ARCHITECTURE.md section 8, docs/capture.md "Privileges").
 *
 * A live capture needs root (or CAP_NET_RAW) only to open the interface.
 * Everything after it - parsing hostile packets, writing the archive and
 * the logs - runs as an unprivileged user, as tcpdump -Z and Suricata's
 * --user do.  The directories the process will write are made and handed
 * to that user first, so rotation, retention and reloads keep working.
 */
#ifndef VIGIL_CORE_PRIVDROP_H
#define VIGIL_CORE_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct privdrop {
    const char *user;  /* --user NAME or numeric uid; NULL: no drop */
    const char *group; /* --group NAME or numeric gid; NULL: the user's primary group */
    uid_t uid;         /* resolved by privdrop_resolve */
    gid_t gid;
    char name[64];     /* the user's name, for initgroups and messages */
};

/* Look up the user and group; -1 with a message in err when one does not
 * exist.  Call it while parsing options, so a typo is a usage error. */
int privdrop_resolve(struct privdrop *pd, char *err, size_t errlen);

/* Give each directory of dirs (NULL-terminated; they must exist) and
 * everything under it that the target user does not own to that user and
 * group (lchown, symlinks not followed, other file systems not entered).
 * Only when running as root; a no-op otherwise.  -1 with err on failure. */
int privdrop_prepare(const struct privdrop *pd, const char *const *dirs, char *err,
                     size_t errlen);

/* Become the user: supplementary groups, gid, uid, no new privileges; then
 * check that root cannot be regained.  Must run before any thread starts.
 * When not root: fine if the process already is that user, else -1. */
int privdrop_apply(const struct privdrop *pd, char *err, size_t errlen);

/* prepare + apply, then check that the user can write each of dirs: the
 * whole drop as a command does it.  -1 with err naming what failed. */
int privdrop_become(const struct privdrop *pd, const char *const *dirs, char *err,
                    size_t errlen);

#endif
