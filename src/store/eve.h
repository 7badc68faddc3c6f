/*
 * eve.h - Suricata's EVE JSON (eve.json) and fast.log for alert records.
 *
 * output_eve_open(dir) writes DIR/eve.json (one "event_type":"alert"
 * object per line, Suricata's field names and order) and DIR/fast.log
 * (Suricata's one-line alert format).  Records of other types are ignored
 * by this output (other outputs write them).  docs/alerts.md.
 */
#ifndef VIGIL_STORE_EVE_H
#define VIGIL_STORE_EVE_H

#include <stddef.h>

#include "store/output.h"

struct output *output_eve_open(const char *dir, char *err, size_t errlen);

#endif
