/*
 * privdrop.c - give up root after the capture device is open (privdrop.h).
 *
 * The order is the one that cannot be undone half-way: supplementary
 * groups (initgroups, as tcpdump -Z does, so a user's group memberships
 * still apply), then the gid, then the uid with setresuid so the saved
 * uid goes too; PR_SET_NO_NEW_PRIVS so no set-uid binary or file
 * capability can raise the process again; finally a check that
 * setuid(0) now fails.  A non-root uid has no capabilities left
 * (CAP_NET_RAW included), because the kernel clears them when every uid
 * leaves 0 and PR_SET_KEEPCAPS is not set.
 */
#include "core/privdrop.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int numeric_id(const char *s, unsigned long *out)
{
    char *end;
    if (!*s || *s == '-')
        return 0;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= (unsigned long)UINT_MAX)
        return 0;
    *out = v;
    return 1;
}

int privdrop_resolve(struct privdrop *pd, char *err, size_t errlen)
{
    unsigned long id;
    struct passwd *pw = numeric_id(pd->user, &id) ? getpwuid((uid_t)id) : getpwnam(pd->user);
    if (!pw) {
        snprintf(err, errlen, "--user: no user '%s' on this system", pd->user);
        return -1;
    }
    pd->uid = pw->pw_uid;
    pd->gid = pw->pw_gid;
    snprintf(pd->name, sizeof(pd->name), "%s", pw->pw_name);
    if (pd->group) {
        struct group *gr = numeric_id(pd->group, &id) ? getgrgid((gid_t)id) : getgrnam(pd->group);
        if (!gr) {
            snprintf(err, errlen, "--group: no group '%s' on this system", pd->group);
            return -1;
        }
        pd->gid = gr->gr_gid;
    }
    return 0;
}

/* nftw has no context argument: the one walk in progress (prepare runs
 * before any thread exists). */
static const struct privdrop *walk_pd;
static int walk_errno;
static char walk_path[512];

static int give(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    if (st->st_uid == walk_pd->uid && st->st_gid == walk_pd->gid)
        return 0;
    if (lchown(path, walk_pd->uid, walk_pd->gid) < 0) {
        walk_errno = errno;
        snprintf(walk_path, sizeof(walk_path), "%s", path);
        return 1;
    }
    return 0;
}

int privdrop_prepare(const struct privdrop *pd, const char *const *dirs, char *err,
                     size_t errlen)
{
    if (geteuid() != 0)
        return 0;
    for (const char *const *d = dirs; *d; d++) {
        walk_pd = pd;
        walk_errno = 0;
        int rc = nftw(*d, give, 32, FTW_PHYS | FTW_MOUNT);
        walk_pd = NULL;
        if (rc != 0) {
            if (walk_errno)
                snprintf(err, errlen, "cannot give %s to %s: %s", walk_path, pd->name,
                         strerror(walk_errno));
            else
                snprintf(err, errlen, "cannot walk %s: %s", *d, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int privdrop_apply(const struct privdrop *pd, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        if (getuid() == pd->uid && getgid() == pd->gid)
            return 0;
        snprintf(err, errlen, "--user %s: only root can change to another user", pd->name);
        return -1;
    }
    if (initgroups(pd->name, pd->gid) < 0) {
        snprintf(err, errlen, "initgroups(%s): %s", pd->name, strerror(errno));
        return -1;
    }
    if (setresgid(pd->gid, pd->gid, pd->gid) < 0) {
        snprintf(err, errlen, "setresgid(%u): %s", (unsigned)pd->gid, strerror(errno));
        return -1;
    }
    if (setresuid(pd->uid, pd->uid, pd->uid) < 0) {
        snprintf(err, errlen, "setresuid(%u): %s", (unsigned)pd->uid, strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    if (pd->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "root could be regained after dropping to %s", pd->name);
        return -1;
    }
    return 0;
}

int privdrop_become(const struct privdrop *pd, const char *const *dirs, char *err, size_t errlen)
{
    if (privdrop_prepare(pd, dirs, err, errlen) < 0 || privdrop_apply(pd, err, errlen) < 0)
        return -1;
    for (const char *const *d = dirs; *d; d++)
        if (access(*d, W_OK | X_OK) < 0) {
            snprintf(err, errlen, "as %s, %s is not writable (%s): every directory above it "
                     "must let that user in", pd->name, *d, strerror(errno));
            return -1;
        }
    return 0;
}
