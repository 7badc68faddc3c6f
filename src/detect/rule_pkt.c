/*
 * rule_pkt.c - parsers of the packet, flow and event keywords kept in
 * struct rule_px (rule_pkt.h), their keyword table (consulted by
 * rule_keyword_find after the main table), and the tables that map
 * Suricata's decoder, stream and app-layer event names to what Vigil's
 * decoder, flow module and parsers raise.
 *
 * Grammars (Suricata rules reference, "Header keywords", "Flow keywords",
 * "Decoder/Stream/App-layer events", "Prefilter"):
 *
 *     vlan.id      := NUM ["," (LAYER | "all")]     LAYER := -?DIGITS
 *     vlan.layers  := NUM
 *     icmpv6.mtu   := NUM
 *     fragbits     := [+*!] [MDR]+ [+*!]
 *     fragoffset   := NUM
 *     ipopts       := rr | ts | lsrr | ssrr | any
 *     flow.age     := NUM                (seconds since the flow's first packet)
 *     flow.pkts    := (toserver|toclient|either) "," NUM   (also flow.pkts_toserver:NUM ...)
 *     flow.bytes   := the same
 *     *-event      := [PROTO "."] NAME
 *
 * NUM is the shared numeric form (rule_parse_num: N, <N, >N, <=N, >=N, !N,
 * N-M, N<>M).  An event name with no counterpart is kept (px->unmapped)
 * for the engine to skip the rule, naming it.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "detect/rule_int.h"
#include "detect/rule_pkt.h"

static struct rule_px *px_get(struct rule_pctx *p)
{
    if (!p->r->px)
        p->r->px = calloc(1, sizeof(struct rule_px));
    return p->r->px;
}

void rule_px_free(struct rule_px *px)
{
    if (px)
        free(px->unmapped);
    free(px);
}

/* Numeric keywords: arg is the RULE_PX_* bit. */
static int kw_px_num(struct rule_pctx *p, char *val, int arg)
{
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    struct rule_num *n;
    uint64_t max;
    switch (arg) {
    case RULE_PX_VLAN_LAYERS: n = &x->vlan_layers, max = 255; break;
    case RULE_PX_ICMPV6_MTU: n = &x->icmpv6_mtu, max = 0xffffffffu; break;
    case RULE_PX_FRAGOFFSET: n = &x->fragoffset, max = 8191; break;
    case RULE_PX_FLOW_AGE: n = &x->flow_age, max = 0xffffffffu; break;
    default: return rule_fail(p, RULE_ERR_INVALID, "internal: bad field");
    }
    if (x->has & (uint32_t)arg)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    if (rule_parse_num(val, max, n) < 0)
        return rule_fail(p, RULE_ERR_INVALID,
                         "'%.40s' is not a number, comparison or range up to %llu", val,
                         (unsigned long long)max);
    x->has |= (uint32_t)arg;
    return 0;
}

static int kw_vlan_id(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (x->has & RULE_PX_VLAN_ID)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    char *parts[3];
    int n = rule_split(val, ',', parts, 2);
    if (n < 1 || rule_parse_num(parts[0], 4095, &x->vlan_id) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a VLAN id (0-4095), comparison "
                         "or range", n >= 1 ? parts[0] : val);
    x->vlan_layer = RULE_VLAN_ANY;
    if (n == 2) {
        int32_t layer;
        if (strcmp(parts[1], "all") == 0)
            x->vlan_layer = RULE_VLAN_ALL;
        else if (rule_parse_i32(parts[1], &layer) == 0 && layer >= -PKT_MAX_VLAN &&
                 layer < PKT_MAX_VLAN)
            x->vlan_layer = (int16_t)layer;
        else
            return rule_fail(p, RULE_ERR_INVALID, "layer '%.20s' is not all or -%d..%d",
                             parts[1], PKT_MAX_VLAN, PKT_MAX_VLAN - 1);
    }
    x->has |= RULE_PX_VLAN_ID;
    return 0;
}

static int fragbit(char c, uint8_t *bit)
{
    switch (c) {
    case 'M': *bit = RULE_FRAG_M; return 0;
    case 'D': *bit = RULE_FRAG_D; return 0;
    case 'R': *bit = RULE_FRAG_R; return 0;
    default: return -1;
    }
}

static int kw_fragbits(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (x->has & RULE_PX_FRAGBITS)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    for (const char *s = val; *s; s++) {
        uint8_t bit;
        if (*s == '+' || *s == '*' || *s == '!') {
            if (x->fragbits_mod)
                return rule_fail(p, RULE_ERR_INVALID, "more than one modifier");
            x->fragbits_mod = (uint8_t)*s;
        } else if (fragbit(*s, &bit) == 0) {
            x->fragbits |= bit;
        } else if (*s != ' ') {
            return rule_fail(p, RULE_ERR_INVALID, "unknown fragment bit '%c' (M, D or R)", *s);
        }
    }
    if (!x->fragbits)
        return rule_fail(p, RULE_ERR_INVALID, "no fragment bit (M, D or R) given");
    x->has |= RULE_PX_FRAGBITS;
    return 0;
}

static int kw_ipopts(struct rule_pctx *p, char *val, int arg)
{
    static const struct {
        const char *name;
        uint16_t bit;
    } opts[] = {{"rr", PKT_IPOPT_RR},     {"ts", PKT_IPOPT_TS},     {"lsrr", PKT_IPOPT_LSRR},
                {"ssrr", PKT_IPOPT_SSRR}, {"any", 0xffffu}};
    (void)arg;
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (x->has & RULE_PX_IPOPTS)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (strcmp(val, opts[i].name) == 0) {
            x->ipopts = opts[i].bit;
            x->has |= RULE_PX_IPOPTS;
            return 0;
        }
    }
    if (!strcmp(val, "eol") || !strcmp(val, "nop") || !strcmp(val, "sec") ||
        !strcmp(val, "esec") || !strcmp(val, "satid") || !strcmp(val, "lsrre"))
        return rule_fail(p, RULE_ERR_UNSUPPORTED,
                         "unsupported keyword 'ipopts:%s': the decoder does not record that "
                         "IPv4 option", val);
    return rule_fail(p, RULE_ERR_INVALID, "unknown option '%.20s'", val);
}

/* flow.pkts / flow.bytes ("dir,NUM"), arg: the RULE_PX_* bit; and the
 * older flow.pkts_toserver ... spellings, arg | (dir + 1) << 16. */
static int kw_flow_count(struct rule_pctx *p, char *val, int arg)
{
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    uint32_t bit = (uint32_t)arg & 0xffffu;
    int fixed = (arg >> 16) - 1;
    struct rule_num *n = bit == RULE_PX_FLOW_PKTS ? &x->flow_pkts : &x->flow_bytes;
    uint8_t *dir = bit == RULE_PX_FLOW_PKTS ? &x->pkts_dir : &x->bytes_dir;
    if (x->has & bit)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    char *num = val;
    if (fixed >= 0) {
        *dir = (uint8_t)fixed;
    } else {
        char *parts[3];
        if (rule_split(val, ',', parts, 2) != 2)
            return rule_fail(p, RULE_ERR_INVALID, "expected 'toserver|toclient|either,NUM'");
        if (strcmp(parts[0], "toserver") == 0)
            *dir = RULE_DIR_TOSERVER;
        else if (strcmp(parts[0], "toclient") == 0)
            *dir = RULE_DIR_TOCLIENT;
        else if (strcmp(parts[0], "either") == 0)
            *dir = RULE_DIR_EITHER;
        else
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not toserver|toclient|either",
                             parts[0]);
        num = parts[1];
    }
    if (rule_parse_num(num, 0xffffffffu, n) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a number, comparison or range",
                         num);
    x->has |= bit;
    return 0;
}

/* sameip (arg 0), prefilter (arg 1). */
static int kw_px_flag(struct rule_pctx *p, char *val, int arg)
{
    (void)val;
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    x->has |= arg ? RULE_PX_PREFILTER : RULE_PX_SAMEIP;
    return 0;
}

static int kw_frame(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    return rule_fail(p, RULE_ERR_UNSUPPORTED,
                     "unsupported keyword 'frame': Suricata frames ('%.40s') are per-PDU "
                     "buffers Vigil's parsers do not keep",
                     val);
}

/* ---- events ---------------------------------------------------------------- */

#define A(x) DECODE_ANOM_##x
static const struct rule_event decode_events[] = {
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TRUNCATED_ETHERNET), 0}, NULL, "ethernet.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TRUNCATED_VLAN), 0}, NULL, "vlan.header_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TRUNCATED_PPPOE), 0}, NULL, "pppoe.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TRUNCATED_SLL), 0}, NULL, "sll.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TRUNCATED_GRE), 0}, NULL, "gre.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(UNKNOWN_GRE_VERSION), 0}, NULL, "gre.wrong_version"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(TUNNEL_MAX_DEPTH), 0}, NULL, "decoder.too_many_layers"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(IP_HDR_LEN_TOO_SMALL), 0}, NULL, "ipv4.hlen_too_small"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(IP_LEN_TOO_SMALL), 0}, NULL, "ipv4.iplen_smaller_than_hlen"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(TRUNCATED_IP_LEN), 0}, NULL, "ipv4.trunc_pkt"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(BAD_IP_OPTION), 0}, NULL, "ipv4.opt_invalid_len"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(IP_VERSION_MISMATCH), 0}, NULL, "ipv4.wrong_ip_version"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(FRAG_OVERLAP), A(FRAG_INCONSISTENT_OVERLAP)}, NULL,
     "ipv4.frag_overlap"},
    {RULE_EV_DECODE, 0, 0, 4, 0, {A(FRAG_TOO_BIG), 0}, NULL, "ipv4.frag_pkt_too_large"},
    {RULE_EV_DECODE, 0, 0, 6, 0, {A(TRUNCATED_IP_LEN), 0}, NULL, "ipv6.trunc_pkt"},
    {RULE_EV_DECODE, 0, 0, 6, 0, {A(TRUNCATED_IPV6), 0}, NULL, "ipv6.trunc_exthdr"},
    {RULE_EV_DECODE, 0, 0, 6, 0, {A(ROUTING0_HDR), 0}, NULL, "ipv6.rh_type_0"},
    {RULE_EV_DECODE, 0, 0, 0, 0, {A(IP_VERSION_MISMATCH), 0}, NULL, "ipv6.wrong_ip_version"},
    {RULE_EV_DECODE, 0, 0, 6, 0, {A(FRAG_OVERLAP), A(FRAG_INCONSISTENT_OVERLAP)}, NULL,
     "ipv6.frag_overlap"},
    {RULE_EV_DECODE, 0, 0, 6, 0, {A(FRAG_TOO_BIG), 0}, NULL, "ipv6.frag_pkt_too_large"},
    {RULE_EV_DECODE, 0, 0, 0, 6, {A(BAD_TCP_HDR_LEN), 0}, NULL, "tcp.hlen_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 6, {A(TRUNCATED_HEADER), 0}, NULL, "tcp.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 6, {A(TCP_OPTION_LEN), 0}, NULL, "tcp.opt_invalid_len"},
    {RULE_EV_DECODE, 0, 0, 0, 17, {A(TRUNCATED_HEADER), 0}, NULL, "udp.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 17, {A(UDP_LEN_MISMATCH), 0}, NULL, "udp.hlen_invalid"},
    {RULE_EV_DECODE, 0, 0, 0, 1, {A(TRUNCATED_HEADER), 0}, NULL, "icmpv4.pkt_too_small"},
    {RULE_EV_DECODE, 0, 0, 0, 58, {A(TRUNCATED_HEADER), 0}, NULL, "icmpv6.pkt_too_small"},
};
#undef A

/* stream-event: Zeek's TCP weird names the flow module raises, and the
 * reassembly gap ("gap" is the stream module's gap callback). */
static const struct rule_event stream_events[] = {
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "connection_originator_SYN_ack",
     "3whs_synack_in_wrong_direction"},
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "SYN_inside_connection", "est_syn_resend_diff_seq"},
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "spontaneous_FIN", "fin_but_no_session"},
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "spontaneous_RST", "rst_but_no_session"},
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "gap", "reassembly_seq_gap"},
    {RULE_EV_STREAM, 0, 0, 0, 0, {0, 0}, "rexmit_inconsistency",
     "reassembly_overlap_different_data"},
};

/* app-layer-event: parser weirds (Zeek names) and record predicates. */
static const struct rule_event app_events[] = {
    {RULE_EV_PKT, RULE_PROTO_DNS, RULE_EVR_DNS_Z_FLAG, 0, 0, {0, 0}, NULL, "dns.z_flag_set"},
    {RULE_EV_APP, RULE_PROTO_DNS, 0, 0, 0, {0, 0}, "DNS_NAME_too_long", "dns.name_too_long"},
    {RULE_EV_APP, RULE_PROTO_DNS, 0, 0, 0, {0, 0}, "DNS_label_too_many_pointers",
     "dns.infinite_loop"},
    {RULE_EV_RECORD, RULE_PROTO_HTTP, RULE_EVR_HTTP_DOUBLE_ENCODED_URI, 0, 0, {0, 0}, NULL,
     "http.double_encoded_uri"},
    {RULE_EV_RECORD, RULE_PROTO_HTTP, RULE_EVR_HTTP_HOST_INVALID, 0, 0, {0, 0}, NULL,
     "http.request_header_host_invalid"},
    {RULE_EV_RECORD, RULE_PROTO_HTTP, RULE_EVR_HTTP_TE_INVALID, 0, 0, {0, 0}, NULL,
     "http.invalid_transfer_encoding_value_in_request"},
    {RULE_EV_APP, RULE_PROTO_HTTP, 0, 0, 0, {0, 0}, "inflate_failed",
     "http.gzip_decompression_failed"},
    {RULE_EV_APP, RULE_PROTO_HTTP, 0, 0, 0, {0, 0}, "unknown_HTTP_method",
     "http.request_method_unknown"},
    {RULE_EV_APP, RULE_PROTO_SMTP, 0, 0, 0, {0, 0}, "smtp_line_too_long",
     "smtp.max_command_line_len_exceeded"},
    {RULE_EV_APP, RULE_PROTO_SMTP, 0, 0, 0, {0, 0}, "smtp_bdat_chunk_len_exceeded",
     "smtp.bdat_chunk_len_exceeded"},
};

static const struct rule_event *ev_table(int kind, size_t *n)
{
    switch (kind) {
    case RULE_EV_DECODE: *n = sizeof decode_events / sizeof decode_events[0]; return decode_events;
    case RULE_EV_STREAM: *n = sizeof stream_events / sizeof stream_events[0]; return stream_events;
    default: *n = sizeof app_events / sizeof app_events[0]; return app_events;
    }
}

const char *rule_event_name(int kind, size_t i)
{
    size_t n;
    const struct rule_event *t = ev_table(kind, &n);
    return i < n ? t[i].name : NULL;
}

/* decode-event (arg RULE_EV_DECODE), stream-event (RULE_EV_STREAM),
 * app-layer-event (RULE_EV_APP). */
static int kw_event(struct rule_pctx *p, char *val, int arg)
{
    struct rule_px *x = px_get(p);
    if (!x)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    val = rule_unquote(val);
    if (x->ev.kind != RULE_EV_NONE)
        return rule_fail(p, RULE_ERR_INVALID, "one event keyword per rule");
    const char *name = val;
    char full[80];
    if (arg == RULE_EV_STREAM && strncmp(val, "stream.", 7) == 0)
        name = val + 7;
    if (arg != RULE_EV_STREAM && !strchr(val, '.'))
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not 'layer.event'", val);
    size_t n;
    const struct rule_event *t = ev_table(arg, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            x->ev = t[i];
            return 0;
        }
    }
    if (!rule_valid_name(name))
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not an event name", name);
    /* no counterpart: valid syntax, but the engine skips the rule naming the event */
    snprintf(full, sizeof full, "%s:%.60s", p->kw ? p->kw : "event", name);
    x->ev.kind = (uint8_t)arg;
    x->unmapped = rule_strndup(full, strlen(full));
    return x->unmapped ? 0 : rule_fail(p, RULE_ERR_INVALID, "out of memory");
}

int rule_kw_app_event(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    return kw_event(p, val, RULE_EV_APP);
}

#define DIR(d) (((d) + 1) << 16)
static const struct rule_keyword px_keywords[] = {
    {"vlan.id", kw_vlan_id, RULE_KW_ARG, 0},
    {"vlan.layers", kw_px_num, RULE_KW_ARG, RULE_PX_VLAN_LAYERS},
    {"icmpv6.mtu", kw_px_num, RULE_KW_ARG, RULE_PX_ICMPV6_MTU},
    {"fragbits", kw_fragbits, RULE_KW_ARG, 0},
    {"fragoffset", kw_px_num, RULE_KW_ARG, RULE_PX_FRAGOFFSET},
    {"ipopts", kw_ipopts, RULE_KW_ARG, 0},
    {"sameip", kw_px_flag, RULE_KW_NOARG, 0},
    {"prefilter", kw_px_flag, RULE_KW_NOARG, 1},
    {"flow.age", kw_px_num, RULE_KW_ARG, RULE_PX_FLOW_AGE},
    {"flow.pkts", kw_flow_count, RULE_KW_ARG, RULE_PX_FLOW_PKTS},
    {"flow.bytes", kw_flow_count, RULE_KW_ARG, RULE_PX_FLOW_BYTES},
    {"flow.pkts_toserver", kw_flow_count, RULE_KW_ARG, RULE_PX_FLOW_PKTS | DIR(RULE_DIR_TOSERVER)},
    {"flow.pkts_toclient", kw_flow_count, RULE_KW_ARG, RULE_PX_FLOW_PKTS | DIR(RULE_DIR_TOCLIENT)},
    {"flow.bytes_toserver", kw_flow_count, RULE_KW_ARG,
     RULE_PX_FLOW_BYTES | DIR(RULE_DIR_TOSERVER)},
    {"flow.bytes_toclient", kw_flow_count, RULE_KW_ARG,
     RULE_PX_FLOW_BYTES | DIR(RULE_DIR_TOCLIENT)},
    {"decode-event", kw_event, RULE_KW_ARG, RULE_EV_DECODE},
    {"stream-event", kw_event, RULE_KW_ARG, RULE_EV_STREAM},
    {"frame", kw_frame, RULE_KW_ARG, 0},
};
#undef DIR

const struct rule_keyword *rule_pkt_keyword_find(const char *name)
{
    for (size_t i = 0; i < sizeof px_keywords / sizeof px_keywords[0]; i++)
        if (strcmp(name, px_keywords[i].name) == 0)
            return &px_keywords[i];
    return NULL;
}
