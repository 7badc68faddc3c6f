/*
 * read_seq.h - tcpdump's relative TCP sequence numbers (see read_seq.c).
 */
#ifndef VIGIL_CLI_READ_SEQ_H
#define VIGIL_CLI_READ_SEQ_H

#include <stdint.h>

#include "core/packet.h"

struct read_seq;

struct read_seq *read_seq_new(void); /* NULL when out of memory */
void read_seq_free(struct read_seq *s);

/* Turn *seq and *ack of the TCP segment in ip into tcpdump's relative
 * numbers (unchanged when absolute ones are due); *sack_base is what to
 * subtract from SACK block edges (0 when they are printed absolute). */
void read_seq_adjust(struct read_seq *s, const struct pkt_ip *ip, uint32_t *seq, uint32_t *ack,
                     uint32_t *sack_base);

#endif
