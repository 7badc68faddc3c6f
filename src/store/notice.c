/*
 * notice.c - the notice.log record: Zeek 8's Notice::Info columns
 * (base/frameworks/notice/main.zeek, as a corpus *.zeek-notice.log header
 * shows them), written through the normal outputs like every other log.
 * Owns the field table only; whoever raises a notice fills the record
 * (extract_yara.c).  Zeek's set[enum] actions column is written as a set
 * of strings (the values are the same).
 */
#include <stddef.h>
#include <string.h>

#include "store/notice.h"

#define F(name, type, member) {name, type, offsetof(struct notice_record, member)}

static const struct record_field notice_fields[NF_N_FIELDS] = {
    F("ts", RT_TIME, ts),
    F("uid", RT_STRING, uid),
    F("id.orig_h", RT_ADDR, orig_h),
    F("id.orig_p", RT_PORT, orig_p),
    F("id.resp_h", RT_ADDR, resp_h),
    F("id.resp_p", RT_PORT, resp_p),
    F("fuid", RT_STRING, fuid),
    F("file_mime_type", RT_STRING, file_mime_type),
    F("file_desc", RT_STRING, file_desc),
    F("proto", RT_ENUM, proto),
    F("note", RT_ENUM, note),
    F("msg", RT_STRING, msg),
    F("sub", RT_STRING, sub),
    F("src", RT_ADDR, src),
    F("dst", RT_ADDR, dst),
    F("p", RT_PORT, p),
    F("n", RT_COUNT, n),
    F("peer_descr", RT_STRING, peer_descr),
    F("actions", RT_SET_STRING, actions),
    F("email_dest", RT_SET_STRING, email_dest),
    F("suppress_for", RT_INTERVAL, suppress_for),
    F("remote_location.country_code", RT_STRING, rl_country_code),
    F("remote_location.region", RT_STRING, rl_region),
    F("remote_location.city", RT_STRING, rl_city),
    F("remote_location.latitude", RT_DOUBLE, rl_latitude),
    F("remote_location.longitude", RT_DOUBLE, rl_longitude),
};

const struct record_type notice_record_type = {
    .path = "notice",
    .fields = notice_fields,
    .n_fields = NF_N_FIELDS,
    .size = sizeof(struct notice_record),
};

static const struct rstr notice_action_log = {"Notice::ACTION_LOG", 18};

void notice_record_init(struct notice_record *r)
{
    memset(r, 0, sizeof(*r));
    r->hdr.type = &notice_record_type;
    for (size_t f = 0; f < NF_N_FIELDS; f++)
        record_set_unset(&r->hdr, f, true);
    r->actions.v = &notice_action_log;
    r->actions.n = 1;
    record_set_unset(&r->hdr, NF_ACTIONS, false);
    record_set_unset(&r->hdr, NF_EMAIL_DEST, false); /* (empty) */
    r->suppress_for = NOTICE_SUPPRESS_NS;
    record_set_unset(&r->hdr, NF_SUPPRESS_FOR, false);
}

void notice_record_str(struct notice_record *r, enum notice_field f, const char *p)
{
    if (!p)
        return;
    struct rstr *s = (struct rstr *)((char *)r + notice_fields[f].offset);
    s->p = p;
    s->len = strlen(p);
    record_set_unset(&r->hdr, f, false);
}
