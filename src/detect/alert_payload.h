/*
 * alert_payload.h - `--eve-alert payload,payload-printable,packet`: the
 * optional payload and packet of an alert (Suricata's eve-log alert
 * options), and in_iface on live capture.  alert_payload.c says what the
 * payload is for each kind of inspection.
 */
#ifndef VIGIL_DETECT_ALERT_PAYLOAD_H
#define VIGIL_DETECT_ALERT_PAYLOAD_H

#include <stddef.h>

#include "detect/alert_record.h"

enum {
    DET_EVE_PAYLOAD = 1u << 0,           /* "payload": base64 */
    DET_EVE_PAYLOAD_PRINTABLE = 1u << 1, /* "payload_printable" */
    DET_EVE_PACKET = 1u << 2,            /* "packet" (base64) and packet_info.linktype */
};

/* Set once before the run (every engine, reloads too). */
void detect_set_eve_extras(unsigned flags);
unsigned detect_eve_extras(void);

/* "payload,packet,...": 0 with *flags set, or -1 with a sentence in err. */
int detect_eve_extras_parse(const char *list, unsigned *flags, char *err, size_t errlen);

/* The strings alert_payload_fill allocated for one alert. */
struct alert_payload_bufs {
    char *p[3];
    int n;
};

struct det_insp;

/* Fill in_iface (live sources) and the extras asked for; free with
 * alert_payload_release after the alert was written. */
void alert_payload_fill(struct alert_record *a, const struct det_insp *in,
                        struct alert_payload_bufs *b);
void alert_payload_release(struct alert_payload_bufs *b);

#endif
