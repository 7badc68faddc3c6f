/*
 * notice.h - Zeek's notice.log record (base/frameworks/notice/main.zeek,
 * Notice::Info), for notices Vigil raises itself (YARA matches of
 * extracted files: "Vigil::YARA_Match", docs/logs/notice.md).
 */
#ifndef VIGIL_STORE_NOTICE_H
#define VIGIL_STORE_NOTICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/record.h"

struct notice_record {
    struct record_hdr hdr;
    int64_t ts;
    struct rstr uid;
    struct raddr orig_h;
    uint64_t orig_p;
    struct raddr resp_h;
    uint64_t resp_p;
    struct rstr fuid, file_mime_type, file_desc, proto, note, msg, sub;
    struct raddr src, dst;
    uint64_t p, n;
    struct rstr peer_descr;
    struct rstrvec actions, email_dest;
    int64_t suppress_for;
    struct rstr rl_country_code, rl_region, rl_city;
    double rl_latitude, rl_longitude;
};

enum notice_field {
    NF_TS, NF_UID, NF_ORIG_H, NF_ORIG_P, NF_RESP_H, NF_RESP_P, NF_FUID, NF_FILE_MIME_TYPE,
    NF_FILE_DESC, NF_PROTO, NF_NOTE, NF_MSG, NF_SUB, NF_SRC, NF_DST, NF_P, NF_N, NF_PEER_DESCR,
    NF_ACTIONS, NF_EMAIL_DEST, NF_SUPPRESS_FOR, NF_RL_COUNTRY_CODE, NF_RL_REGION, NF_RL_CITY,
    NF_RL_LATITUDE, NF_RL_LONGITUDE, NF_N_FIELDS
};

#define NOTICE_SUPPRESS_NS (3600LL * 1000000000LL) /* Notice::default_suppression_interval */

extern const struct record_type notice_record_type;

/* r: type set, every field unset; actions {Notice::ACTION_LOG}, email_dest
 * empty and suppress_for one hour, as Zeek's default policy logs them. */
void notice_record_init(struct notice_record *r);

/* Set a string field (p stays the caller's until the record is written). */
void notice_record_str(struct notice_record *r, enum notice_field f, const char *p);

#endif
